// SPDX-License-Identifier: BSD-2-Clause
// Behavioural model of the ECP5 block RAM DP16KD (18 kbit, true dual port), for simulating lifgen's
// `storage=dp16kd` arrays in Icarus Verilog and Verilator. The behaviour follows Lattice's description of the
// primitive (ECP5 and ECP5-5G sysMEM Usage Guide, FPGA-TN-02204; that text was not at hand when this was written,
// so every point below that a design can observe is also checked against Yosys's own DP16KD mapping,
// techlibs/lattice/brams_16kd.txt and brams_map_16kd.v, in tests/test_dp16kd_synth.py); the port list is that of
// Yosys's techlibs/lattice/cells_bb_ecp5.v. Each port, at the rising edge of its clock:
//   - chip select: the port works only when {CSx2, CSx1, CSx0} equals CSDECODE_x;
//   - CEx high: WEx high writes DIx to the word at ADx; WEx low reads that word into the port's output latch.
//     During a write the latch holds (WRITEMODE NORMAL), takes the new word (WRITETHROUGH) or the old one
//     (READBEFOREWRITE). CEx low: nothing is accessed, the latch holds;
//   - REGMODE_x "OUTREG": the output register takes the latch when OCEx is high, so a word read at one edge is on
//     DOx after the next; "NOREG": DOx is the latch;
//   - RSTx (RESETMODE "SYNC": at the edge; "ASYNC": at once) clears the latch and the output register;
//   - widths (DATA_WIDTH_x) 18, 9, 4, 2, 1: the word address is ADx[13:s], s = 4, 3, 2, 1, 0, and the data
//     DIx/DOx[width-1:0]; at width 18 a write's byte enables are ADx[0] (bits 8:0) and ADx[1] (bits 17:9).
// Both ports must have the same width (lifgen and Yosys's mapping of a one-write, one-read memory use one).
// A read of the word the other port writes at the same edge (both clocks high at that instant, e.g. one clock)
// gives X, as does a write by both ports to one word: nothing promises more (Yosys's memory library declares no
// behaviour across ports and adds logic of its own where a design needs one), so a design must not rely on it.
// The array starts as the INITVAL parameters say; only all-zero INITVAL (what lifgen and a memory without initial
// contents use) is modelled, other values stop the simulation. Latches and output registers start at 0 (global
// set/reset).
`timescale 1ns/1ps
module DP16KD (
    input  wire DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0,
    input  wire ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0,
    input  wire CEA, OCEA, CLKA, WEA, RSTA,
    input  wire CSA2, CSA1, CSA0,
    output wire DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0,
    input  wire DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0,
    input  wire ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0,
    input  wire CEB, OCEB, CLKB, WEB, RSTB,
    input  wire CSB2, CSB1, CSB0,
    output wire DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0
);
    parameter DATA_WIDTH_A = 18;
    parameter DATA_WIDTH_B = 18;
    parameter REGMODE_A = "NOREG";
    parameter REGMODE_B = "NOREG";
    parameter RESETMODE = "SYNC";
    parameter ASYNC_RESET_RELEASE = "SYNC";
    parameter CSDECODE_A = "0b000";
    parameter CSDECODE_B = "0b000";
    parameter WRITEMODE_A = "NORMAL";
    parameter WRITEMODE_B = "NORMAL";
    parameter CLKAMUX = "CLKA";
    parameter CLKBMUX = "CLKB";
    parameter GSR = "ENABLED";
    parameter INIT_DATA = "STATIC";
    parameter INITVAL_00 = 320'h0;
    parameter INITVAL_01 = 320'h0;
    parameter INITVAL_02 = 320'h0;
    parameter INITVAL_03 = 320'h0;
    parameter INITVAL_04 = 320'h0;
    parameter INITVAL_05 = 320'h0;
    parameter INITVAL_06 = 320'h0;
    parameter INITVAL_07 = 320'h0;
    parameter INITVAL_08 = 320'h0;
    parameter INITVAL_09 = 320'h0;
    parameter INITVAL_0A = 320'h0;
    parameter INITVAL_0B = 320'h0;
    parameter INITVAL_0C = 320'h0;
    parameter INITVAL_0D = 320'h0;
    parameter INITVAL_0E = 320'h0;
    parameter INITVAL_0F = 320'h0;
    parameter INITVAL_10 = 320'h0;
    parameter INITVAL_11 = 320'h0;
    parameter INITVAL_12 = 320'h0;
    parameter INITVAL_13 = 320'h0;
    parameter INITVAL_14 = 320'h0;
    parameter INITVAL_15 = 320'h0;
    parameter INITVAL_16 = 320'h0;
    parameter INITVAL_17 = 320'h0;
    parameter INITVAL_18 = 320'h0;
    parameter INITVAL_19 = 320'h0;
    parameter INITVAL_1A = 320'h0;
    parameter INITVAL_1B = 320'h0;
    parameter INITVAL_1C = 320'h0;
    parameter INITVAL_1D = 320'h0;
    parameter INITVAL_1E = 320'h0;
    parameter INITVAL_1F = 320'h0;
    parameter INITVAL_20 = 320'h0;
    parameter INITVAL_21 = 320'h0;
    parameter INITVAL_22 = 320'h0;
    parameter INITVAL_23 = 320'h0;
    parameter INITVAL_24 = 320'h0;
    parameter INITVAL_25 = 320'h0;
    parameter INITVAL_26 = 320'h0;
    parameter INITVAL_27 = 320'h0;
    parameter INITVAL_28 = 320'h0;
    parameter INITVAL_29 = 320'h0;
    parameter INITVAL_2A = 320'h0;
    parameter INITVAL_2B = 320'h0;
    parameter INITVAL_2C = 320'h0;
    parameter INITVAL_2D = 320'h0;
    parameter INITVAL_2E = 320'h0;
    parameter INITVAL_2F = 320'h0;
    parameter INITVAL_30 = 320'h0;
    parameter INITVAL_31 = 320'h0;
    parameter INITVAL_32 = 320'h0;
    parameter INITVAL_33 = 320'h0;
    parameter INITVAL_34 = 320'h0;
    parameter INITVAL_35 = 320'h0;
    parameter INITVAL_36 = 320'h0;
    parameter INITVAL_37 = 320'h0;
    parameter INITVAL_38 = 320'h0;
    parameter INITVAL_39 = 320'h0;
    parameter INITVAL_3A = 320'h0;
    parameter INITVAL_3B = 320'h0;
    parameter INITVAL_3C = 320'h0;
    parameter INITVAL_3D = 320'h0;
    parameter INITVAL_3E = 320'h0;
    parameter INITVAL_3F = 320'h0;

    wire [17:0] dia = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
    wire [17:0] dib = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};
    wire [13:0] ada = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
    wire [13:0] adb = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
    reg  [17:0] latch_a = 18'd0, latch_b = 18'd0, oreg_a = 18'd0, oreg_b = 18'd0;
    wire [17:0] doa = REGMODE_A == "OUTREG" ? oreg_a : latch_a;
    wire [17:0] dob = REGMODE_B == "OUTREG" ? oreg_b : latch_b;
    assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = doa;
    assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = dob;

    // word address and data mask of a width (bits above the width read as 0)
    function integer shift_of(input integer width);
        shift_of = width == 18 ? 4 : width == 9 ? 3 : width == 4 ? 2 : width == 2 ? 1 : 0;
    endfunction
    function [2:0] decode(input [39:0] text);             // "0bxyz" -> 3'bxyz
        decode = {text[16], text[8], text[0]};
    endfunction
    localparam SA = shift_of(DATA_WIDTH_A), SB = shift_of(DATA_WIDTH_B);
    localparam [17:0] MASK_A = (18'd1 << DATA_WIDTH_A) - 18'd1, MASK_B = (18'd1 << DATA_WIDTH_B) - 18'd1;

    reg [17:0] mem [0:16383];
    integer k;
    initial begin
        for (k = 0; k < 16384; k = k + 1) mem[k] = 18'd0;
        if (DATA_WIDTH_A != DATA_WIDTH_B) begin
            $display("DP16KD model: DATA_WIDTH_A %0d != DATA_WIDTH_B %0d is not modelled", DATA_WIDTH_A, DATA_WIDTH_B);
            $finish;
        end
        if ((DATA_WIDTH_A != 18 && DATA_WIDTH_A != 9 && DATA_WIDTH_A != 4 && DATA_WIDTH_A != 2 &&
             DATA_WIDTH_A != 1)) begin
            $display("DP16KD model: DATA_WIDTH %0d is not a DP16KD width", DATA_WIDTH_A);
            $finish;
        end
        if (
            (INITVAL_00 != 0) |
            (INITVAL_01 != 0) |
            (INITVAL_02 != 0) |
            (INITVAL_03 != 0) |
            (INITVAL_04 != 0) |
            (INITVAL_05 != 0) |
            (INITVAL_06 != 0) |
            (INITVAL_07 != 0) |
            (INITVAL_08 != 0) |
            (INITVAL_09 != 0) |
            (INITVAL_0A != 0) |
            (INITVAL_0B != 0) |
            (INITVAL_0C != 0) |
            (INITVAL_0D != 0) |
            (INITVAL_0E != 0) |
            (INITVAL_0F != 0) |
            (INITVAL_10 != 0) |
            (INITVAL_11 != 0) |
            (INITVAL_12 != 0) |
            (INITVAL_13 != 0) |
            (INITVAL_14 != 0) |
            (INITVAL_15 != 0) |
            (INITVAL_16 != 0) |
            (INITVAL_17 != 0) |
            (INITVAL_18 != 0) |
            (INITVAL_19 != 0) |
            (INITVAL_1A != 0) |
            (INITVAL_1B != 0) |
            (INITVAL_1C != 0) |
            (INITVAL_1D != 0) |
            (INITVAL_1E != 0) |
            (INITVAL_1F != 0) |
            (INITVAL_20 != 0) |
            (INITVAL_21 != 0) |
            (INITVAL_22 != 0) |
            (INITVAL_23 != 0) |
            (INITVAL_24 != 0) |
            (INITVAL_25 != 0) |
            (INITVAL_26 != 0) |
            (INITVAL_27 != 0) |
            (INITVAL_28 != 0) |
            (INITVAL_29 != 0) |
            (INITVAL_2A != 0) |
            (INITVAL_2B != 0) |
            (INITVAL_2C != 0) |
            (INITVAL_2D != 0) |
            (INITVAL_2E != 0) |
            (INITVAL_2F != 0) |
            (INITVAL_30 != 0) |
            (INITVAL_31 != 0) |
            (INITVAL_32 != 0) |
            (INITVAL_33 != 0) |
            (INITVAL_34 != 0) |
            (INITVAL_35 != 0) |
            (INITVAL_36 != 0) |
            (INITVAL_37 != 0) |
            (INITVAL_38 != 0) |
            (INITVAL_39 != 0) |
            (INITVAL_3A != 0) |
            (INITVAL_3B != 0) |
            (INITVAL_3C != 0) |
            (INITVAL_3D != 0) |
            (INITVAL_3E != 0) |
            (INITVAL_3F != 0)) begin
            $display("DP16KD model: non-zero INITVAL is not modelled");
            $finish;
        end
    end

    wire sel_a = {CSA2, CSA1, CSA0} == decode(CSDECODE_A);
    wire sel_b = {CSB2, CSB1, CSB0} == decode(CSDECODE_B);
    wire [13:0] word_a = ada >> SA, word_b = adb >> SB;
    // bits a write of each port changes (the byte enables at width 18)
    wire [17:0] wmask_a = DATA_WIDTH_A == 18 ? {{9{ada[1]}}, {9{ada[0]}}} : MASK_A;
    wire [17:0] wmask_b = DATA_WIDTH_B == 18 ? {{9{adb[1]}}, {9{adb[0]}}} : MASK_B;
    wire writes_a = sel_a && CEA && WEA, writes_b = sel_b && CEB && WEB;
    wire reads_a = sel_a && CEA && !WEA, reads_b = sel_b && CEB && !WEB;
    // the other port accesses the same word at this edge (one clock, or both clocks high now)
    wire same_word = word_a == word_b && CLKA === 1'b1 && CLKB === 1'b1;

    task port_a;
        begin
            if (OCEA) oreg_a <= latch_a;
            if (writes_a) begin
                mem[word_a] <= (writes_b && same_word) ? 18'bx : (mem[word_a] & ~wmask_a) | (dia & wmask_a);
                if (WRITEMODE_A == "WRITETHROUGH") latch_a <= dia & MASK_A;
                else if (WRITEMODE_A == "READBEFOREWRITE") latch_a <= mem[word_a] & MASK_A;
            end else if (reads_a) begin
                latch_a <= (writes_b && same_word) ? 18'bx : mem[word_a] & MASK_A;
            end
        end
    endtask

    task port_b;
        begin
            if (OCEB) oreg_b <= latch_b;
            if (writes_b) begin
                if (!(writes_a && same_word))               // both writing one word: port A writes X
                    mem[word_b] <= (mem[word_b] & ~wmask_b) | (dib & wmask_b);
                if (WRITEMODE_B == "WRITETHROUGH") latch_b <= dib & MASK_B;
                else if (WRITEMODE_B == "READBEFOREWRITE") latch_b <= mem[word_b] & MASK_B;
            end else if (reads_b) begin
                latch_b <= (writes_a && same_word) ? 18'bx : mem[word_b] & MASK_B;
            end
        end
    endtask

    generate
        if (RESETMODE == "ASYNC") begin : async_reset
            always @(posedge CLKA or posedge RSTA)
                if (RSTA) begin latch_a <= 18'd0; oreg_a <= 18'd0; end else port_a;
            always @(posedge CLKB or posedge RSTB)
                if (RSTB) begin latch_b <= 18'd0; oreg_b <= 18'd0; end else port_b;
        end else begin : sync_reset
            always @(posedge CLKA)
                if (RSTA) begin latch_a <= 18'd0; oreg_a <= 18'd0; end else port_a;
            always @(posedge CLKB)
                if (RSTB) begin latch_b <= 18'd0; oreg_b <= 18'd0; end else port_b;
        end
    endgenerate
endmodule
