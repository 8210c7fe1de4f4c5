// Package catalogtest holds the contract test suite of the catalog.Store
// port. Every adapter runs it from its own tests:
//
//	func TestStoreContract(t *testing.T) {
//		catalogtest.RunStoreSuite(t, func(t *testing.T) catalog.Store {
//			return boltstore.Open(t.TempDir()) // a fresh, empty store
//		})
//	}
//
// Import rule: tests only. It imports the catalog package, the standard
// library and github.com/matryer/is; never another lib or the daemon.
package catalogtest
