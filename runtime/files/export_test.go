package files

// SetFinishHook sets the function s runs before it commits an upload
// (its error fails the commit), for the tests of deferred commits; nil
// removes it. Set it while no upload of s is in flight.
func SetFinishHook(s *Store, fn func(id string) error) { s.testHookFinish = fn }
