// 本书自建的“世界”代码（续）：调度器周围的 Go 代码的替身。
// 函数序言（栈检查）照 Go 编译器生成的样子手写：CMPQ SP, 16(R14) 比较的是 g.stackguard0，
// 检查失败就跳到函数末尾，CALL morestack 之后再从头执行（cmd/internal/obj/x86/obj6.go:1214-1218）。

// 一个普通的 Go 函数 f：没有参数，24 字节的帧。
TEXT main·worker(SB), NOSPLIT, $0
    CMPQ    SP, 16(R14)                 // SP <= g.stackguard0 ？
    JLS     grow                        // 是：栈不够了
    SUBQ    $24, SP                     // 开帧
    MOVQ    BP, 16(SP)                  // 保存调用者的 BP
    LEAQ    16(SP), BP
    MOVQ    R14, 8(SP)                  // 局部变量：当前 g
    MOVQ    $42, 0(SP)                  // 局部变量
    MOVQ    16(SP), BP                  // 恢复 BP
    ADDQ    $24, SP                     // 退帧
    RET
grow:
    CALL    runtime·morestack_noctxt(SB) // 普通函数：不需要保留 DX
    JMP     main·worker(SB)             // 栈换好以后，从序言重新开始

// f 的调用者：帧很大（比如一个局部数组），调用 f 时栈快用完了。本书省略了它自己的栈检查。
TEXT main·grower(SB), NOSPLIT, $0
    SUBQ    $0x438, SP
    MOVQ    BP, 0x430(SP)
    LEAQ    0x430(SP), BP
    CALL    main·worker(SB)
    MOVQ    0x430(SP), BP
    ADDQ    $0x438, SP
    RET

// 一个闭包：捕获了一个变量，通过 DX（闭包上下文）读它。
TEXT main·closure(SB), NOSPLIT|NEEDCTXT, $0
    CMPQ    SP, 16(R14)                 // SP <= g.stackguard0 ？
    JLS     grow
    SUBQ    $24, SP
    MOVQ    BP, 16(SP)
    LEAQ    16(SP), BP
    MOVQ    8(DX), AX                   // 捕获的变量：闭包对象里 fn 之后的那个字
    MOVQ    AX, 8(SP)
    MOVQ    16(SP), BP
    ADDQ    $24, SP
    RET
grow:
    CALL    runtime·morestack(SB)       // 闭包：直接调用 morestack，DX 保留
    JMP     main·closure(SB)

// 闭包的调用者：闭包对象没有逃逸，放在它自己的栈帧里。
TEXT main·closurecaller(SB), NOSPLIT, $0
    SUBQ    $0x438, SP
    MOVQ    BP, 0x430(SP)
    LEAQ    0x430(SP), BP
    LEAQ    main·closure(SB), AX
    MOVQ    AX, 0x420(SP)               // 栈上的闭包对象：fn
    MOVQ    $7, 0x428(SP)               // 栈上的闭包对象：捕获的变量
    LEAQ    0x420(SP), DX               // DX = 闭包上下文
    MOVQ    0(DX), CX
    CALL    CX                          // 调用闭包
    MOVQ    0x430(SP), BP
    ADDQ    $0x438, SP
    RET

// 另一个 goroutine（G2）的函数：它早先像 gopark 那样调用 mcall，在这里停了下来。
TEXT main·blocked(SB), NOSPLIT, $0
    MOVQ    $main·fnval(SB), AX
    CALL    runtime·mcall(SB)           // mcall(park_m)：G2 停在这里
    RET                                 // 再次被调度时从这里继续

// mcall 的 fn：本书把 park_m → schedule → execute 压成几条指令（AX = gp，运行在 g0 上）。
// 真正的代码：park_m（proc.go:3348-3349）、dropg（proc.go:3262-3266）、
// execute（proc.go:2529-2531, 2554）。schedule 找下一个 g 的过程，本书换成读一个全局变量。
TEXT main·park_and_schedule(SB), NOSPLIT, $0
    MOVL    $4, g_atomicstatus(AX)      // park_m：gp 从 _Grunning(2) 变为 _Gwaiting(4)
    MOVQ    g_m(AX), BX                 // BX = m
    MOVQ    $0, g_m(AX)                 // dropg：gp.m = nil
    MOVQ    $0, m_curg(BX)              // dropg：m.curg = nil
    MOVQ    main·gp2(SB), CX            // schedule：选中 G2（本书的简化）
    MOVQ    CX, m_curg(BX)              // execute：m.curg = G2
    MOVQ    BX, g_m(CX)                 // execute：G2.m = m
    MOVL    $2, g_atomicstatus(CX)      // execute：G2 从 _Grunnable(1) 变为 _Grunning(2)
    LEAQ    g_sched(CX), CX             // CX = &G2.sched
    PUSHQ   CX                          // gogo 的参数（ABI0，放在栈上）
    CALL    runtime·gogo(SB)            // gogo(&G2.sched)：不会返回
    XORPS   X15, X15
    MOVQ    g(CX), R14
    RET

// 一个用 defer + recover 的函数：deferproc 正常返回 0；recover 之后“再返回一次”，返回 1。
TEXT main·withdefer(SB), NOSPLIT, $0
    SUBQ    $24, SP
    MOVQ    BP, 16(SP)
    LEAQ    16(SP), BP
    CALL    runtime·deferproc(SB)       // 登记 defer
    TESTL   AX, AX                      // 返回值 AX：0 正常，1 表示 recover 之后回到这里
    JNE     recovered
    CALL    runtime·gopanic(SB)         // panic(...)：不会返回
recovered:
    CALL    runtime·deferreturn(SB)     // 执行剩下的 defer，然后正常返回
    MOVQ    16(SP), BP
    ADDQ    $24, SP
    RET

// 用 open-coded defer 的函数（panic.go:36-44：defer 不在循环里时，编译器把它展开在函数里）：
// 本书的示意。recovery 之后 gogo 跳到帧里的 CALL runtime·deferreturn（panic.go:692-698 的 d1.pc），由它执行剩下的 defer。
TEXT main·opendefer(SB), NOSPLIT, $0
    SUBQ    $24, SP
    MOVQ    BP, 16(SP)
    LEAQ    16(SP), BP
    CALL    runtime·gopanic(SB)         // panic(...)：不会返回
    CALL    runtime·deferreturn(SB)     // recover 之后 gogo 跳到这一条（gobuf.pc），AX = 1
    MOVQ    16(SP), BP
    ADDQ    $24, SP
    RET

// 以下是 Go 函数的替身。
TEXT runtime·deferproc(SB), NOSPLIT, $0
    MOVL    $0, AX                      // 本书的替身：登记 defer，返回 0（panic.go:290）
    RET

TEXT runtime·deferreturn(SB), NOSPLIT, $0
    INT     $3                          // 本书的替身：执行 defer 链

// 真正的 gopanic 运行 defer；defer 里 recover 了，就 mcall(recovery)（panic.go:976）。
TEXT runtime·gopanic(SB), NOSPLIT, $0
    SUBQ    $32, SP
    MOVQ    BP, 24(SP)
    LEAQ    24(SP), BP
    MOVQ    $runtime·recovery·f(SB), AX // AX = recovery 的 funcval
    CALL    runtime·mcall(SB)           // mcall(recovery)：不会返回
    INT     $3

// 真正的 recovery（panic.go:1085-1104）把 gp.sched 改成 deferproc 刚返回的样子：
// sp、pc 取自 defer 记录，lr = 0，ret = 1；然后 gogo(&gp.sched)。本书在世界里直接写好这些值。
// 替身保留 recovery 的 0x30 字节帧（Go 1.19.8 编译结果），所以进入 gogo 时 BP 是 recovery 的帧指针（在 g0 栈上）。
TEXT runtime·recovery(SB), NOSPLIT, $0
    SUBQ    $0x30, SP                   // 本书的替身：recovery 的帧
    MOVQ    BP, 0x28(SP)
    LEAQ    0x28(SP), BP                // BP = recovery 的帧指针，不是 gp.sched.bp
    LEAQ    g_sched(AX), BX             // BX = &gp.sched
    MOVQ    BX, 0(SP)                   // gogo 的参数（ABI0，放在栈上）
    CALL    runtime·gogo(SB)            // gogo(&gp.sched)：不会返回
    XORPS   X15, X15
    MOVQ    g(CX), R14
    INT     $3
