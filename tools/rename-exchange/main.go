//go:build linux

// rename-exchange A B swaps the paths A and B in one step with renameat2(RENAME_EXCHANGE), which Node has
// no binding for: at every instant each path names one complete directory, the old or the new.
//
// Exit 0 when swapped; 3 when this kernel, architecture or file system cannot exchange (the caller then
// swaps another way); 1 on any other error (message on stderr).
package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// renameat2's number; Go's syscall package lacks it for amd64, 386, arm and ppc64.
var sysRenameat2 = map[string]uintptr{
	"amd64": 316, "386": 353, "arm": 382, "arm64": 276, "riscv64": 276, "loong64": 276,
	"ppc64": 357, "ppc64le": 357, "s390x": 347, "mips64": 5311, "mips64le": 5311,
}

const renameExchange = 2 // RENAME_EXCHANGE from <linux/fs.h>

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: rename-exchange A B")
		os.Exit(1)
	}
	nr, ok := sysRenameat2[runtime.GOARCH]
	if !ok {
		os.Exit(3)
	}
	a, err := syscall.BytePtrFromString(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b, err := syscall.BytePtrFromString(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	const atFdcwd = ^uintptr(99) // AT_FDCWD (-100)
	_, _, errno := syscall.Syscall6(nr, atFdcwd, uintptr(unsafe.Pointer(a)), atFdcwd, uintptr(unsafe.Pointer(b)), renameExchange, 0)
	switch errno {
	case 0:
	case syscall.ENOSYS, syscall.EINVAL:
		os.Exit(3)
	default:
		fmt.Fprintf(os.Stderr, "exchanging %s and %s: %v\n", os.Args[1], os.Args[2], errno)
		os.Exit(1)
	}
}
