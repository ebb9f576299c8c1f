// Starts GraphiQL on the page that loaded it. The endpoint is the page's
// own URL (GET with Accept: text/html serves this page; every other
// request to it is GraphQL), so the page works wherever it is mounted.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var endpoint = root.getAttribute("data-endpoint");
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
    })
  );
})();
