//go:build !unix

package disk

import "os"

// lockFile opens path; on this platform there is no lock.
func lockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
}

// syncDir does nothing: directories cannot be fsynced here.
func syncDir(dir string) error { return nil }
