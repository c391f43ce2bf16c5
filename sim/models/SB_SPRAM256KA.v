// SPDX-License-Identifier: BSD-2-Clause
// Behavioural model of the iCE40UP5K single-port RAM SB_SPRAM256KA (16,384 x 16 bits), for simulating
// lifgen's `storage=spram` arrays in Icarus Verilog and Verilator. Written from the documented behaviour
// (Lattice iCE40 SPRAM usage guide): all inputs are sampled on the rising edge of CLOCK;
//   - CHIPSELECT high, WREN low: read; DATAOUT shows mem[ADDRESS] after that edge and holds it;
//   - CHIPSELECT high, WREN high: write DATAIN under the nibble mask MASKWREN; DATAOUT is undefined (X);
//   - CHIPSELECT low: nothing happens, DATAOUT holds;
//   - STANDBY/SLEEP high or POWEROFF low: no access; DATAOUT is X (0 while powered off or asleep).
// The array starts undefined (X), as the silicon's does.
`timescale 1ns/1ps
module SB_SPRAM256KA (
    input  wire [13:0] ADDRESS,
    input  wire [15:0] DATAIN,
    input  wire [3:0]  MASKWREN,
    input  wire        WREN,
    input  wire        CHIPSELECT,
    input  wire        CLOCK,
    input  wire        STANDBY,
    input  wire        SLEEP,
    input  wire        POWEROFF,
    output reg  [15:0] DATAOUT
);
    reg [15:0] mem [0:16383];
    integer k;

    always @(posedge CLOCK) begin
        if (SLEEP || !POWEROFF) begin
            DATAOUT <= 16'h0000;
        end else if (STANDBY) begin
            DATAOUT <= 16'hxxxx;
        end else if (CHIPSELECT) begin
            if (WREN) begin
                for (k = 0; k < 4; k = k + 1)
                    if (MASKWREN[k]) mem[ADDRESS][4*k +: 4] <= DATAIN[4*k +: 4];
                DATAOUT <= 16'hxxxx;
            end else begin
                DATAOUT <= mem[ADDRESS];
            end
        end
    end
endmodule
