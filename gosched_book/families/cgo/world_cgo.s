// 本书自建的“世界”代码：不是运行时的源码。asmcgocall 的调用者和它调用的 C 函数，都是本书的替身。

// 本书的替身：cgocall（cgocall.go:158 entersyscall()，cgocall.go:168 errno := asmcgocall(fn, arg)）。
// ABI0：fn、arg 在栈上，结果（int32）写回 ret+16(FP)。世界直接把参数放好，这里只提供两个 CALL 之后的返回地址
// （entersyscall 存下的 g.syscallpc，和 asmcgocall 的返回地址）。
TEXT runtime·cgocall(SB), NOSPLIT, $0
    CALL    runtime·entersyscall(SB)
    CALL    ·asmcgocall(SB)
    XORPS   X15, X15                    // 调用点惯例：ABI0 调用之后恢复 X15 和 R14
    MOVQ    g(CX), R14
    RET

// 本书的替身：已在 g0 上的运行时代码调用 asmcgocall，例如 schedule 里的
// asmcgocall(*cgo_yield, nil)（proc.go:2621），或创建线程时的 asmcgocall(_cgo_thread_start, &ts)（proc.go:2161）。
TEXT main·g0cgocaller(SB), NOSPLIT, $0
    CALL    ·asmcgocall(SB)
    RET

// 本书的替身：一个 C 函数，像 cgo 生成的 _cgo_<hash>_Cfunc_add(void *v)：
// 按 C 的调用约定（System V）参数在 DI，v 指向 Go 栈上的参数块 {a, b, r}，结果写进 r。
TEXT main·cfunc(SB), NOSPLIT, $0
    PUSHQ   BP                          // C 函数的序言
    MOVQ    SP, BP
    MOVQ    0(DI), AX                   // a
    ADDQ    8(DI), AX                   // a + b
    MOVQ    AX, 16(DI)                  // r = a + b（写在 goroutine 的栈上）
    MOVL    $0, AX                      // void：AX 里是什么都行
    POPQ    BP
    RET

// 本书的替身：entersyscall（proc.go:3678 起）。本书不执行它，只用它的返回地址（cgocall 里 g.syscallpc 的值）。
TEXT runtime·entersyscall(SB), NOSPLIT, $0
    RET
