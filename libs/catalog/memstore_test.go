package catalog_test

import (
	"testing"

	"github.com/orchestratord/orchestratord/libs/catalog"
	"github.com/orchestratord/orchestratord/libs/catalog/catalogtest"
)

func TestMemStoreContract(t *testing.T) {
	catalogtest.RunStoreSuite(t, func(*testing.T) catalog.Store { return catalog.NewMemStore() })
}
