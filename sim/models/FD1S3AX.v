// SPDX-License-Identifier: BSD-2-Clause
// Behavioural model of the ECP5 flip-flop FD1S3AX (Lattice library: D flip-flop, positive edge, no set or reset,
// GSR clears it), for simulating lifgen's `storage=dp16kd` arrays, whose register copies are FD1S3AX instances so
// that synthesis keeps them apart. Yosys maps it to TRELLIS_FF (techlibs/lattice/cells_ff.vh).
`timescale 1ns/1ps
module FD1S3AX (input wire D, input wire CK, output reg Q);
    parameter GSR = "ENABLED";
    initial Q = 1'b0;
    always @(posedge CK) Q <= D;
endmodule
