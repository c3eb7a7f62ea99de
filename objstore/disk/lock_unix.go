//go:build unix

package disk

import (
	"errors"
	"os"
	"syscall"
)

// lockFile opens path (mode fileMode) and takes an exclusive flock(2) on
// it, which the kernel releases when the file is closed or the process
// dies.
func lockFile(path string) (*os.File, error) {
	f, err := openFile(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errors.New("in use by another Store")
		}
		return nil, err
	}
	return f, nil
}

// syncDir fsyncs a directory, making the entries renamed into or out of it
// durable.
func syncDir(dir string) error { return syncFile(dir) }
