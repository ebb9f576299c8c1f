// Renders the server's OpenAPI document with the vendored Swagger UI.
// Paths are relative to the /docs page, so the page also works behind a
// path prefix. validatorUrl is null so that Swagger UI never sends the
// document to validator.swagger.io: the page loads nothing from other hosts.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
