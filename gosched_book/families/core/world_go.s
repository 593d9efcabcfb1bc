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
    // 真正的 newstack（stack.go:962-1118）分配两倍大的新栈、copystack，
    // 最后 gogo(&gp.sched)。替身只保留最后这次调用。
    SUBQ    $16, SP                     // 本书的替身：一个小帧
    MOVQ    g_m(R14), BX                // BX = g0.m
    MOVQ    m_curg(BX), AX              // AX = gp = m.curg
    LEAQ    g_sched(AX), AX             // AX = &gp.sched
    MOVQ    AX, 0(SP)                   // buf，ABI0 的参数
    CALL    runtime·gogo(SB)            // gogo(&gp.sched)：不会返回
    XORPS   X15, X15
    MOVQ    g(CX), R14
    INT     $3

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
