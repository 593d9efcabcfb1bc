// 本书自建的“世界”代码：汇编调用 Go 函数时经过的 ABI0 包装，以及 Go 函数本体的替身。
//
// 汇编里的 CALL runtime·newstack(SB) 链接到的不是 Go 函数本身，而是编译器生成的
// ABI0 包装（objdump 里叫 runtime.newstack.abi0）。包装先让 X15 = 0、R14 = g（从 TLS 读），
// 再进入按寄存器 ABI 编译的函数本体。下面的包装逐字节照抄 Go 1.19.8 编译出的包装（JMP/CALL 的位移除外）；
// 本书把包装命名为 runtime·newstack，把函数本体命名为 runtime·newstack.abiinternal。
// 函数本体都是本书的替身：执行到它们的入口，就是“事件”。

// 没有参数的函数：包装只有三条指令。
TEXT runtime·newstack(SB), NOSPLIT, $0
    XORPS   X15, X15                    // X15 = 0：寄存器 ABI 的零寄存器
    MOVQ    g(CX), R14                  // R14 = TLS 里的 g（morestack 刚把它设成 g0）
    JMP     runtime·newstack.abiinternal(SB)

TEXT runtime·badmorestackg0(SB), NOSPLIT, $0
    XORPS   X15, X15
    MOVQ    g(CX), R14
    JMP     runtime·badmorestackg0.abiinternal(SB)

TEXT runtime·badmorestackgsignal(SB), NOSPLIT, $0
    XORPS   X15, X15
    MOVQ    g(CX), R14
    JMP     runtime·badmorestackgsignal.abiinternal(SB)

TEXT runtime·badsystemstack(SB), NOSPLIT, $0
    XORPS   X15, X15
    MOVQ    g(CX), R14
    JMP     runtime·badsystemstack.abiinternal(SB)

TEXT runtime·goexit1(SB), NOSPLIT, $0
    XORPS   X15, X15
    MOVQ    g(CX), R14
    JMP     runtime·goexit1.abiinternal(SB)

// 有一个参数的函数：包装开一个帧，把栈上的参数搬进 AX，再 CALL 本体。
TEXT runtime·badmcall(SB), NOSPLIT, $0-8
    SUBQ    $16, SP
    MOVQ    BP, 8(SP)
    LEAQ    8(SP), BP
    MOVQ    24(SP), AX                  // 参数 fn：ABI0 在栈上，寄存器 ABI 在 AX
    XORPS   X15, X15
    MOVQ    g(CX), R14
    CALL    runtime·badmcall.abiinternal(SB)
    MOVQ    8(SP), BP
    ADDQ    $16, SP
    RET

TEXT runtime·badmcall2(SB), NOSPLIT, $0-8
    SUBQ    $16, SP
    MOVQ    BP, 8(SP)
    LEAQ    8(SP), BP
    MOVQ    24(SP), AX
    XORPS   X15, X15
    MOVQ    g(CX), R14
    CALL    runtime·badmcall2.abiinternal(SB)
    MOVQ    8(SP), BP
    ADDQ    $16, SP
    RET

// Go 函数本体的替身。
TEXT runtime·newstack.abiinternal(SB), NOSPLIT, $0
    // 真正的 newstack（stack.go:962-1118）先看 gp.stackguard0 是不是 stackPreempt：是，就不扩栈，
    // 像 goroutine 调用了 Gosched 那样调用 gopreempt_m（stack.go:1021、1050-1070）；
    // 否则分配两倍大的新栈、copystack，最后 gogo(&gp.sched)。替身只保留这次判断和最后的调用。
    MOVQ    g_m(R14), BX                // BX = g0.m
    MOVQ    m_curg(BX), AX              // AX = gp = m.curg
    MOVQ    g_stackguard0(AX), CX
    CMPQ    CX, $-1314                  // stackguard0 == stackPreempt（stack.go:138）？
    JEQ     preempt
    SUBQ    $16, SP                     // 本书的替身：一个小帧
    LEAQ    g_sched(AX), AX             // AX = &gp.sched
    MOVQ    AX, 0(SP)                   // buf，ABI0 的参数
    CALL    runtime·gogo(SB)            // gogo(&gp.sched)：不会返回
    XORPS   X15, X15
    MOVQ    g(CX), R14
    INT     $3
preempt:
    CALL    runtime·gopreempt_m(SB)     // gopreempt_m(gp)：AX = gp，不会返回
    INT     $3

// 本书的替身：gopreempt_m（proc.go:3402-3407）→ goschedImpl（proc.go:3366-3379）把 gp 改成 _Grunnable、
// 放进全局运行队列，然后 schedule()。schedule 又选中 gp 时，execute 把 gp.stackguard0 还原为
// stack.lo + _StackGuard（proc.go:2534），再 gogo(&gp.sched)。替身只做最后这两件事，
// 用一个 0x280 字节的帧代表中间几层 Go 函数的帧。ABIInternal：AX = gp。
TEXT runtime·gopreempt_m(SB), NOSPLIT, $0
    SUBQ    $0x280, SP                  // 本书的替身：schedule、execute 等几层帧
    MOVQ    (g_stack+stack_lo)(AX), CX
    ADDQ    $928, CX                    // _StackGuard
    MOVQ    CX, g_stackguard0(AX)       // execute：gp.stackguard0 = gp.stack.lo + _StackGuard
    LEAQ    g_sched(AX), BX
    MOVQ    BX, 0(SP)                   // buf，ABI0 的参数
    CALL    runtime·gogo(SB)            // gogo(&gp.sched)：不会返回
    XORPS   X15, X15                    // 调用点惯例：ABI0 调用之后恢复 X15 和 R14
    MOVQ    g(CX), R14
    INT     $3

// 本书的替身：preemptPark（proc.go:3409-3447）：gp.preemptStop 时把 gp 置为 _Gpreempted，然后 schedule()。
TEXT runtime·preemptPark(SB), NOSPLIT, $0
    INT     $3                          // 本书的替身：执行到这里，就是“已在 g0 上调用 preemptPark(gp)”

TEXT runtime·badmorestackg0.abiinternal(SB), NOSPLIT, $0
    INT     $3                          // 打印 "morestack on g0"，然后 abort

TEXT runtime·badmorestackgsignal.abiinternal(SB), NOSPLIT, $0
    INT     $3                          // 打印 "morestack on gsignal"，然后 abort

TEXT runtime·badsystemstack.abiinternal(SB), NOSPLIT, $0
    INT     $3                          // "fatal: systemstack called from unexpected goroutine"

TEXT runtime·badmcall.abiinternal(SB), NOSPLIT, $0
    INT     $3                          // throw("runtime: mcall called on m->g0 stack")

TEXT runtime·badmcall2.abiinternal(SB), NOSPLIT, $0
    INT     $3                          // throw("runtime: mcall function returned")

// 本书的替身：goexit1（proc.go:3469-3477）。真正的 goexit1 开 0x30 字节的帧（Go 1.19.8 编译结果），
// race、trace 都关着时只做 mcall(goexit0)。替身保留这个帧和这次调用，省去序言的栈检查和 trace 判断。
TEXT runtime·goexit1.abiinternal(SB), NOSPLIT, $0
    SUBQ    $0x30, SP                   // 本书的替身：goexit1 的帧
    MOVQ    BP, 0x28(SP)
    LEAQ    0x28(SP), BP
    MOVQ    $runtime·goexit0·f(SB), AX  // AX = goexit0 的 funcval（ABIInternal 的第一个参数）
    CALL    runtime·mcall(SB)           // mcall(goexit0)：不会返回
    INT     $3

// 本书的替身：goexit0（proc.go:3480 起）在 g0 上把 gp 置为 _Gdead、回收，然后 schedule()。
TEXT runtime·goexit0.abiinternal(SB), NOSPLIT, $0
    INT     $3                          // 本书的替身：执行到这里，就是“已在 g0 上调用 goexit0(gp)”
