// Command prog reaches the runtime's stack switches, one mode per argument, for record.py.
//
// Each mode calls a small non-inlined function (an "anchor") that gdb can break on, so the
// recorder knows which goroutine and which call of the routine to single-step. Built with
// CGO_ENABLED=0: an ordinary internally linked linux/amd64 executable, where g lives at FS-8.
package main

import (
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

var sink int

//go:noinline
func anchorGosched() { runtime.Gosched() }

//go:noinline
func anchorStack(buf []byte) int { return runtime.Stack(buf, false) }

// grow recurses with a 1 KiB frame until the goroutine's stack has grown several times.
//
//go:noinline
func grow(n int) int {
	var buf [1024]byte
	buf[n%len(buf)] = byte(n)
	if n == 0 {
		return int(buf[0])
	}
	return grow(n-1) + int(buf[n%len(buf)])
}

//go:noinline
func anchorGrow() int { return grow(64) }

// anchorGrowClosure's func1 is a recursive closure: its prologue calls morestack directly (a
// closure's context in DX must survive), not morestack_noctxt.
//
//go:noinline
func anchorGrowClosure() int {
	var grow func(n int) int
	grow = func(n int) int {
		var buf [1024]byte
		buf[n%len(buf)] = byte(n)
		if n == 0 {
			return int(buf[0])
		}
		return grow(n-1) + int(buf[n%len(buf)])
	}
	return grow(64)
}

var workerRuns atomic.Int64

// worker is the new goroutine's function (started by `go worker()`, no wrapper closure):
// it returns into goexit+1.
//
//go:noinline
func worker() { workerRuns.Add(1) }

// lockedWorker exits still locked to its thread: goexit0 then returns to mstart with
// gogo(&g0.sched), and the thread exits (proc.go, goexit0).
//
//go:noinline
func lockedWorker() {
	runtime.LockOSThread()
	workerRuns.Add(1)
}

// recoverLoop defers in a loop, so the compiler uses a defer record (deferproc).
//
//go:noinline
func recoverLoop() (r int) {
	for i := 0; i < 1; i++ {
		defer func() {
			if recover() != nil {
				r = 1
			}
		}()
	}
	panic("boom")
}

// recoverOpen has one defer at the top level: an open-coded defer.
//
//go:noinline
func recoverOpen() (r int) {
	defer func() {
		if recover() != nil {
			r = 1
		}
	}()
	panic("boom")
}

var spinning atomic.Bool

// spin is a loop without calls: only asynchronous preemption (SIGURG) can stop it.
//
//go:noinline
func spin() int {
	n := 0
	for !spinning.Load() {
		n++
	}
	return n
}

//go:noinline
func leaf2(i int) int { return i + 1 }

// leaf has a stack-check prologue (it calls leaf2), so stackPreempt sends it to morestack.
//
//go:noinline
func leaf(i int) int { return leaf2(i) * 2 }

//go:noinline
func anchorKill(pid, tid int) { _ = syscall.Tgkill(pid, tid, syscall.SIGUSR1) }

func otherThreads(self int) []int {
	f, err := os.Open("/proc/self/task")
	if err != nil {
		return nil
	}
	defer f.Close()
	names, _ := f.Readdirnames(-1)
	var tids []int
	for _, n := range names {
		if t, err := strconv.Atoi(n); err == nil && t != self {
			tids = append(tids, t)
		}
	}
	return tids
}

func main() {
	mode := "gosched"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "gosched":
		for i := 0; i < 1000; i++ {
			anchorGosched()
		}
	case "stack":
		buf := make([]byte, 4096)
		for i := 0; i < 1000; i++ {
			sink += anchorStack(buf)
		}
	case "grow":
		for i := 0; i < 1000; i++ {
			sink += anchorGrow()
		}
	case "grow_closure":
		for i := 0; i < 1000; i++ {
			sink += anchorGrowClosure()
		}
	case "newg":
		for i := int64(1); i < 1000; i++ {
			go worker()
			for workerRuns.Load() < i {
				time.Sleep(100 * time.Microsecond)
			}
		}
	case "locked_exit":
		for i := int64(1); i < 1000; i++ {
			go lockedWorker()
			for workerRuns.Load() < i {
				time.Sleep(100 * time.Microsecond)
			}
		}
	case "recover":
		for i := 0; i < 1000; i++ {
			sink += recoverLoop()
		}
	case "recover_open":
		for i := 0; i < 1000; i++ {
			sink += recoverOpen()
		}
	case "spin":
		sink = spin()
	case "preempt":
		for i := 0; ; i++ {
			sink += leaf(i)
		}
	case "sigusr1", "sigusr1_others":
		c := make(chan os.Signal, 1024)
		signal.Notify(c, syscall.SIGUSR1)
		runtime.LockOSThread()
		pid, tid := syscall.Getpid(), syscall.Gettid()
		for i := 0; i < 100000; i++ {
			if mode == "sigusr1" {
				anchorKill(pid, tid)
			} else {
				for _, t := range otherThreads(tid) {
					anchorKill(pid, t)
				}
			}
			time.Sleep(time.Millisecond)
			for len(c) > 0 {
				<-c
			}
		}
	default:
		panic("unknown mode " + mode)
	}
}
