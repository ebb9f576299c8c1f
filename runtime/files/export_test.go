package files

// SetFinishHook sets the function run before each upload is committed
// (its error fails the commit), for the tests of deferred commits; nil
// removes it.
func SetFinishHook(fn func(id string) error) { testHookFinish = fn }
