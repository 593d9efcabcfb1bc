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
    XORPS   X15, X15                    // Go 的调用方在每次 ABI0 调用之后：X15 重新清零
    MOVQ    g(CX), R14                  // 再从 TLS 重新装载 R14 = g
    RET

// g0 上的调度循环：gogo(&gp.sched)，相当于 execute 的最后一行。
TEXT main·schedule(SB), NOSPLIT, $0
    MOVQ    main·gp(SB), AX             // AX = gp（全局变量里存着 *g）
    LEAQ    g_sched(AX), AX             // AX = &gp.sched
    MOVQ    AX, 0(SP)                   // buf，ABI0 的参数
    CALL    runtime·gogo(SB)            // 不会返回
    XORPS   X15, X15                    // 调用点惯例：ABI0 调用之后恢复 X15 和 R14
    MOVQ    g(CX), R14
    RET

// mcall 的目标函数 fn(gp *g)：ABIInternal，AX = gp。
// 本书的简化：它立刻 gogo 回同一个 gp。真正的 park_m（proc.go:3341-3365）
// 会把 gp 设为 _Gwaiting、dropg()，然后 schedule() 去运行别的 goroutine。
TEXT main·gogo_back(SB), NOSPLIT, $0
    LEAQ    g_sched(AX), BX             // BX = &gp.sched
    PUSHQ   BX                          // gogo 的参数（ABI0，放在栈上）
    CALL    runtime·gogo(SB)            // gogo(&gp.sched)：恢复 gp，不会返回
    XORPS   X15, X15
    MOVQ    g(CX), R14
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
// mstart 的两行和 asm_amd64.s:389-391 的一样；mstart0、mstart1 是 Go 函数，这里是本书的替身。
TEXT runtime·mstart(SB), NOSPLIT|TOPFRAME, $0
    CALL    runtime·mstart0(SB)
    RET

// 本书的替身：mstart0（proc.go:1356-1392）。真的 mstart0 经 ABI0 包装进入（包装设 X15 = 0、R14 = g），
// 有 0x28 字节的帧；替身没有帧。它只做 g0 的栈已有边界（rt0_go 划好）时做的事：设 stackguard（proc.go:1378-1381）。
TEXT runtime·mstart0(SB), NOSPLIT, $0
    XORPS   X15, X15                    // 像 ABI0 包装那样：X15 = 0
    MOVQ    g(CX), R14                  // R14 = TLS 里的 g（g0）
    MOVQ    (g_stack+stack_lo)(R14), AX // stackguard0 = stack.lo + _StackGuard（proc.go:1378）
    ADDQ    $const__StackGuard, AX
    MOVQ    AX, g_stackguard0(R14)
    MOVQ    AX, g_stackguard1(R14)      // stackguard1 = stackguard0（proc.go:1381）
    CALL    runtime·mstart1(SB)         // 返回点存入 g0.sched.pc
    CALL    runtime·mexit(SB)           // 出错时回到这里，调用 mexit 终止线程
    RET

// 本书的替身：mstart1（proc.go:1398-1433）写 g0.sched，然后 asminit、minit……、schedule()。
// 替身只做前一半：g0.sched.g/pc/sp，再调用 asminit（真的，asm_amd64.s:385-387）。
TEXT runtime·mstart1(SB), NOSPLIT, $0
    MOVQ    R14, (g_sched+gobuf_g)(R14) // _g_.sched.g = _g_
    MOVQ    0(SP), AX                   // getcallerpc()：mstart0 里 CALL mstart1 的下一条
    MOVQ    AX, (g_sched+gobuf_pc)(R14) // _g_.sched.pc
    LEAQ    8(SP), AX                   // getcallersp()：调用 mstart1 之前的 SP
    MOVQ    AX, (g_sched+gobuf_sp)(R14) // _g_.sched.sp
    CALL    runtime·asminit(SB)
    RET

TEXT runtime·mexit(SB), NOSPLIT, $0
    INT     $3                          // 本书的替身：mexit 终止当前 M
