// 本书自建的“世界”代码：不是运行时的源码。
// 它们给例程提供真实的调用者、真实的返回地址和真实的目标函数。

// 一个 goroutine 的函数：两次调用 mcall(fn)，每次都应像 mcall 返回一样继续。
TEXT main·caller(SB), NOSPLIT, $0
    MOVQ    $main·fnval(SB), AX         // AX = fn（*funcval），ABIInternal 的第一个参数
    CALL    runtime·mcall(SB)           // mcall(fn)
    MOVQ    $main·fnval(SB), AX         // 回来了：再调用一次
    CALL    runtime·mcall(SB)           // mcall(fn)
    RET

// 调用 systemstack(fn) 的 goroutine 代码（ABI0：参数放在栈上）。
TEXT main·syscaller(SB), NOSPLIT, $0
    MOVQ    $main·sysfnval(SB), AX
    MOVQ    AX, 0(SP)                   // fn，ABI0 的参数
    CALL    runtime·systemstack(SB)
    MOVQ    g(CX), R14                  // Go 的调用方在 ABI0 调用之后从 TLS 重新装载 R14
    RET

// g0 上的调度循环：gogo(&gp.sched)。
TEXT main·schedule(SB), NOSPLIT, $0
    MOVQ    main·gp(SB), AX             // AX = gp（全局变量里存着 *g）
    LEAQ    g_sched(AX), AX             // AX = &gp.sched
    MOVQ    AX, 0(SP)                   // buf，ABI0 的参数
    CALL    runtime·gogo(SB)            // 不会返回
    RET

// mcall 的目标函数 fn(gp *g)：ABIInternal，AX = gp。相当于 park_m 之类。
TEXT main·park_m(SB), NOSPLIT, $0
    LEAQ    g_sched(AX), BX             // BX = &gp.sched
    PUSHQ   BX                          // gogo 的参数（ABI0，放在栈上）
    CALL    runtime·gogo(SB)            // gogo(&gp.sched)：恢复 gp，不会返回
    RET

// 一个错误的 fn：直接返回。
TEXT main·fn_returns(SB), NOSPLIT, $0
    RET

// systemstack 要执行的 fn：在 g0 栈上开帧、存局部变量，再返回。
TEXT main·sysfn(SB), NOSPLIT, $0
    SUBQ    $24, SP                     // 在当前栈上开 24 字节的帧
    MOVQ    BP, 16(SP)                  // 保存调用者的 BP
    LEAQ    16(SP), BP                  // 新的帧指针
    MOVQ    R14, 8(SP)                  // 局部变量：当前 g
    MOVQ    DX, 0(SP)                   // 局部变量：闭包上下文（fn 本身）
    MOVQ    16(SP), BP                  // 恢复 BP
    ADDQ    $24, SP                     // 退栈
    RET

// 线程入口：mstart -> mstart0 -> mstart1。mstart1 把 g0.sched 设为它的返回点。
TEXT runtime·mstart(SB), NOSPLIT|TOPFRAME, $0
    CALL    runtime·mstart0(SB)
    RET

TEXT runtime·mstart0(SB), NOSPLIT, $0
    CALL    runtime·mstart1(SB)         // 返回点存入 g0.sched.pc
    CALL    runtime·mexit(SB)           // 出错时回到这里，调用 mexit 终止线程
    RET

TEXT runtime·mstart1(SB), NOSPLIT, $0
    RET

// 以下是 Go 函数的替身：执行到它们的入口，就是“事件”。
TEXT runtime·mexit(SB), NOSPLIT, $0
    INT     $3                          // mexit：终止当前 M

TEXT runtime·badmcall(SB), NOSPLIT, $0-8
    INT     $3                          // throw("runtime: mcall called on m->g0 stack")

TEXT runtime·badmcall2(SB), NOSPLIT, $0-8
    INT     $3                          // throw("runtime: mcall function returned")

TEXT runtime·badsystemstack(SB), NOSPLIT, $0
    INT     $3                          // "fatal: systemstack called from unexpected goroutine"

TEXT runtime·goexit(SB), NOSPLIT|TOPFRAME, $0
    INT     $3                          // goroutine 的最外层返回地址
