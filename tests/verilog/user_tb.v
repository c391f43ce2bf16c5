// A user's own plain Verilog-2005 testbench for `lifgen verilog --neurons 4 -o lif_array.v`
// (default parameters). No cocotb, no SystemVerilog: it must work on the file without edits.
`timescale 1ns/1ps
module user_tb;
    reg clk = 0, rst = 1, step = 0;
    reg cur__valid = 0;
    reg [17:0] cur__payload = 0;          // [1:0] neuron, [17:2] signed u (Q8.8 mV)
    wire cur__ready, busy, spikes__valid;
    wire [17:0] spikes__payload;          // [1:0] neuron, [17:2] step
    integer counts [0:3];
    integer i, steps_done, xs;

    lif_array dut (.clk(clk), .rst(rst), .step(step), .busy(busy),
        .cur__valid(cur__valid), .cur__ready(cur__ready), .cur__payload(cur__payload),
        .spikes__valid(spikes__valid), .spikes__ready(1'b1), .spikes__payload(spikes__payload));

    always #5 clk = !clk;

    always @(posedge clk) begin
        if (spikes__valid) counts[spikes__payload[1:0]] = counts[spikes__payload[1:0]] + 1;
        if (!rst && ^{busy, cur__ready, spikes__valid, spikes__payload} === 1'bx) xs = xs + 1;
        if (step && !busy) steps_done = steps_done + 1;
    end

    task write_cur(input [1:0] n, input signed [15:0] u);
        begin
            @(negedge clk);
            while (!cur__ready) @(negedge clk);
            cur__payload = {u, n};
            cur__valid = 1;
            @(negedge clk);
            cur__valid = 0;
        end
    endtask

    initial begin
        for (i = 0; i < 4; i = i + 1) counts[i] = 0;
        steps_done = 0;
        xs = 0;
        repeat (3) @(negedge clk);
        rst = 0;
        write_cur(0, 20 * 256);
        write_cur(1, 30 * 256);
        write_cur(2, 40 * 256);
        write_cur(3, 60 * 256);
        @(negedge clk);
        step = 1;
        while (steps_done < 500) @(negedge clk);
        step = 0;
        repeat (20) @(negedge clk);
        $display("RESULT %0d %0d %0d %0d %0d %0d", counts[0], counts[1], counts[2], counts[3], steps_done, xs);
        $finish;
    end
endmodule
