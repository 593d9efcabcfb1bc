// Command cgoprog reaches asmcgocall (Go calling C) and cgocallback (C calling Go) for record.py.
package main

/*
extern int goCallback(int);

static int add(int a, int b) { return a + b; }

static int callGo(int x) { return goCallback(x) + 1; }
*/
import "C"

import "os"

var sink int

//export goCallback
func goCallback(x C.int) C.int { return x * 2 }

//go:noinline
func anchorAdd(i int) int { return int(C.add(C.int(i), 1)) }

//go:noinline
func anchorCallback(i int) int { return int(C.callGo(C.int(i))) }

func main() {
	mode := "cgocall"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	for i := 0; i < 1000; i++ {
		switch mode {
		case "cgocall":
			sink += anchorAdd(i)
		case "callback":
			sink += anchorCallback(i)
		default:
			panic("unknown mode " + mode)
		}
	}
}
