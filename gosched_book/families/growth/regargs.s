// 本书自建的“世界”代码：一个有寄存器参数的函数，栈不够时怎样调用 morestack。
// 照 Go 1.19.8 编出的样子手写（例如 runtime.execute：CALL 之前把 AX、BX 存进调用者预留的溢出槽，
// CALL 之后取回，再 JMP 回函数开头；cmd/internal/obj/x86/obj6.go:1185-1186, 1211-1218）。

// f(a int, b bool)：ABIInternal，a 在 AX，b 在 BL；没有局部帧。
TEXT main·regworker(SB), NOSPLIT, $0
    CMPQ    SP, 16(R14)                 // SP <= g.stackguard0 ？
    JLS     grow                        // 是：栈不够了
    ADDQ    $1, AX                      // 函数体：用一下参数
    RET
grow:
    MOVQ    AX, 8(SP)                   // 把 a 存进调用者预留的溢出槽
    MOVB    BL, 16(SP)                  // 把 b 存进第二个溢出槽
    CALL    runtime·morestack_noctxt(SB)
    MOVQ    8(SP), AX                   // 取回 a：栈复制之后，读的是新栈上的槽
    MOVBLZX 16(SP), BX                  // 取回 b
    JMP     main·regworker(SB)          // 从序言重新开始

// f 的调用者：帧很大，为 f 的两个寄存器参数在自己帧的最低处预留了溢出槽。本书省略了它自己的栈检查。
TEXT main·reggrower(SB), NOSPLIT, $0
    SUBQ    $0x438, SP
    MOVQ    BP, 0x430(SP)
    LEAQ    0x430(SP), BP
    MOVQ    $42, AX                     // a = 42
    MOVL    $1, BX                      // b = true
    CALL    main·regworker(SB)
    MOVQ    0x430(SP), BP
    ADDQ    $0x438, SP
    RET
