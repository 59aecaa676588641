import Testing
import RectGradCore

/// Reusing buffers never changes a result, never hands out memory a caller still holds, and after
/// the first pass a pass takes its large buffers from the pool.
@Suite("Tensor buffer pool")
struct TensorBufferPoolTests {
    /// Weights of a small residual network whose activations are large enough to be pooled
    /// (`[2, 16, 64, 64]`: 131,072 elements, above ``TensorBufferPool/minimumElements``).
    struct Weights {
        let w1 = Tensor.randomNormal([16, 8, 3, 3], standardDeviation: 0.2, seed: 11)
        let w2 = Tensor.randomNormal([16, 16, 1, 1], standardDeviation: 0.2, seed: 12)
        let input = Tensor.randomNormal([2, 8, 64, 64], seed: 13)
    }

    /// One forward and backward pass (conv 3×3 → ReLU → conv 1×1 → ReLU → residual add →
    /// global average pool), returning the pooled features and the gradient to the input.
    func pass(_ weights: Weights, buffers: TensorBufferPool?, workers: Workers = .serial) throws -> (features: Tensor, gradient: Tensor) {
        let tape = Tape(workers: workers, buffers: buffers)
        let x = tape.input(weights.input)
        let h = try tape.relu(tape.conv2d(x, weight: tape.parameter(weights.w1), geometry: .init(padding: 1)))
        let g = try tape.relu(tape.conv2d(h, weight: tape.parameter(weights.w2)))
        let y = try tape.flatten(tape.globalAveragePool2d(tape.add(h, g)))
        let gradient = try tape.backward(from: y, withRespectTo: [x])[x]
        return (try tape.value(y), try #require(gradient))
    }

    @Test("passes sharing a pool give the bytes of a pass without one, and reuse its buffers")
    func reusedPassesGiveTheSameBytes() throws {
        let weights = Weights()
        let alone = try pass(weights, buffers: nil)
        let pool = TensorBufferPool()
        var outcomes: [(features: Tensor, gradient: Tensor)] = []
        var allocated: [Int] = []
        for _ in 0..<3 {
            outcomes.append(try pass(weights, buffers: pool))
            allocated.append(pool.statistics.allocated)
        }
        for outcome in outcomes {
            #expect(outcome.features == alone.features)
            #expect(outcome.gradient == alone.gradient)
        }
        // After the first pass every large buffer but the input gradient (kept by the caller,
        // so never given back) comes from the pool.
        #expect(allocated[2] - allocated[1] <= 1)
        #expect(pool.statistics.reused >= 5)
        #expect(pool.retainedBytes > 0)
        pool.removeAll()
        #expect(pool.retainedBytes == 0)
    }

    @Test("a value the caller keeps from a released tape is never handed to another kernel")
    func keptValuesStayUnchanged() throws {
        let weights = Weights()
        let pool = TensorBufferPool()
        let kept: Tensor
        do {
            let tape = Tape(workers: .serial, buffers: pool)
            let h = try tape.relu(tape.conv2d(tape.input(weights.input), weight: tape.parameter(weights.w1), geometry: .init(padding: 1)))
            kept = try tape.value(h)
        }
        let snapshot = kept.scalars.map { $0 }  // a copy with storage of its own
        // A second tape asks for buffers of the kept value's size, with other contents.
        for seed in 0..<2 {
            let tape = Tape(workers: .serial, buffers: pool)
            let other = Tensor.randomNormal(weights.input.shape, seed: 100 + UInt64(seed))
            _ = try tape.relu(tape.conv2d(tape.input(other), weight: tape.parameter(weights.w1), geometry: .init(padding: 1)))
        }
        #expect(kept.scalars == snapshot)
    }

    @Test("RectGrad passes sharing a pool reuse its scratch memory and give the bytes of a pass without one")
    func scratchMemoryIsReused() throws {
        let weights = Weights()
        // 16 × 64 × 64 = 65,536 units per example: RectGrad brackets its percentile (a record in
        // scratch memory), and the 3×3 convolution's working memory is above the pool's minimum.
        let rules = BackwardRules(activation: try RectGradRule(percentile: 90))
        func rectGradPass(_ buffers: TensorBufferPool?) throws -> Tensor {
            let tape = Tape(workers: Workers(count: 2), buffers: buffers)
            let x = tape.input(weights.input)
            let h = try tape.relu(tape.conv2d(x, weight: tape.parameter(weights.w1), geometry: .init(padding: 1)))
            let g = try tape.relu(tape.conv2d(h, weight: tape.parameter(weights.w2)))
            let y = try tape.flatten(tape.globalAveragePool2d(tape.add(h, g)))
            return try #require(try tape.backward(from: y, withRespectTo: [x], rules: rules)[x])
        }
        let pool = TensorBufferPool()
        let allocated = try Self.allocationsOverPooledPasses(rectGradPass, pool: pool) { $0.scratchStatistics.allocated }
        #expect(allocated[0] > 0)
        #expect(allocated[2] == allocated[1], "scratch requests after the first pass: \(allocated)")
        #expect(pool.scratchStatistics.reused > 0)
        pool.removeAll()
        #expect(pool.retainedBytes == 0)
    }

    @Test("max pooling's indices come back to the pool: passes after the first allocate only the input gradient")
    func maxPoolIndicesAreReused() throws {
        // Pooled output [2, 16, 64, 64]: 131,072 indices, above the pool's minimum.
        let input = Tensor.randomNormal([2, 4, 128, 128], seed: 21)
        let weight = Tensor.randomNormal([16, 4, 3, 3], standardDeviation: 0.3, seed: 22)
        func pass(_ buffers: TensorBufferPool?) throws -> Tensor {
            let tape = Tape(workers: Workers(count: 2), buffers: buffers)
            let x = tape.input(input)
            let h = try tape.relu(tape.conv2d(x, weight: tape.parameter(weight), geometry: .init(padding: 1)))
            let p = try tape.maxPool2d(h, geometry: Pooling2DGeometry(kernel: 2, stride: 2))
            let y = try tape.flatten(tape.globalAveragePool2d(p))
            return try #require(try tape.backward(from: y, withRespectTo: [x])[x])
        }
        let allocated = try Self.allocationsOverPooledPasses(pass, pool: TensorBufferPool()) { $0.statistics.allocated }
        // Only the input gradient, which the caller keeps, is new in each later pass.
        #expect(allocated[2] - allocated[1] <= 1, "\(allocated)")
    }

    /// Runs `pass` three times with `pool`, expecting each result to equal a pass without a pool
    /// (reused memory holds the previous pass's contents: every element must be overwritten), and
    /// returns `allocations(pool)` after each pass.
    static func allocationsOverPooledPasses(_ pass: (TensorBufferPool?) throws -> Tensor, pool: TensorBufferPool, _ allocations: (TensorBufferPool) -> Int) throws -> [Int] {
        let alone = try pass(nil)
        var counts: [Int] = []
        for _ in 0..<3 {
            #expect(try pass(pool) == alone)
            counts.append(allocations(pool))
        }
        return counts
    }

    @Test("small activations (16 KiB to 256 KiB) are pooled too: passes after the first allocate only the input gradient")
    func smallActivationsAreReused() throws {
        // [1, 16, 28, 28]: 12,544 elements per activation (49 KiB), under the 256 KiB the pool
        // once left to glibc, whose trimmed heap then faulted them in again on every pass.
        let input = Tensor.randomNormal([1, 8, 28, 28], seed: 31)
        let w1 = Tensor.randomNormal([16, 8, 3, 3], standardDeviation: 0.2, seed: 32)
        let w2 = Tensor.randomNormal([16, 16, 1, 1], standardDeviation: 0.2, seed: 33)
        #expect(16 * 28 * 28 >= TensorBufferPool.minimumElements)
        func pass(_ buffers: TensorBufferPool?) throws -> Tensor {
            let tape = Tape(workers: .serial, buffers: buffers)
            let x = tape.input(input)
            let h = try tape.relu(tape.conv2d(x, weight: tape.parameter(w1), geometry: .init(padding: 1)))
            let g = try tape.relu(tape.conv2d(h, weight: tape.parameter(w2)))
            let y = try tape.flatten(tape.globalAveragePool2d(tape.add(h, g)))
            return try #require(try tape.backward(from: y, withRespectTo: [x])[x])
        }
        let pool = TensorBufferPool()
        let allocated = try Self.allocationsOverPooledPasses(pass, pool: pool) { $0.statistics.allocated }
        #expect(allocated[0] >= 4, "the first pass allocates its activations: \(allocated)")
        #expect(allocated[2] - allocated[1] <= 1, "\(allocated)")
        #expect(pool.statistics.reused >= 4)
    }

    @Test("a request with no free buffer of its size takes the smallest free one up to twice its size; the pool counts that buffer's whole storage")
    func largerFreeBuffersServeSmallerRequests() throws {
        let pool = TensorBufferPool()
        /// ReLU of an input on a tape of its own: one new buffer of the input's size, given back
        /// to `pool` when the tape goes; returns the value with storage of its own.
        func relu(_ input: Tensor) throws -> Tensor {
            let tape = Tape(workers: .serial, buffers: pool)
            let output = try tape.relu(tape.input(input))
            // A copy: the tape's value is then referenced by the tape alone when it goes.
            return try Tensor(shape: input.shape, scalars: tape.value(output).scalars.map { $0 })
        }
        func expected(_ input: Tensor) throws -> Tensor {
            try Tensor(shape: input.shape, scalars: input.scalars.map { Swift.max($0, 0) })
        }
        let large = Tensor.randomNormal([2, 16, 64, 64], seed: 41)   // 131,072 elements
        let smaller = Tensor.randomNormal([1, 24, 64, 64], seed: 42) // 98,304: within twice
        let tiny = Tensor.randomNormal([1, 4, 64, 64], seed: 43)     // 16,384: under half
        #expect(try relu(large) == (try expected(large)))
        let afterFirst = pool.statistics
        #expect(afterFirst.reused == 0)
        let retained = pool.retainedBytes
        #expect(retained >= large.count * MemoryLayout<Float>.stride)

        // The smaller request is served by the larger buffer, shortened: nothing new allocated.
        #expect(try relu(smaller) == (try expected(smaller)))
        #expect(pool.statistics.allocated == afterFirst.allocated)
        #expect(pool.statistics.reused == 1)
        // It comes back with its whole storage, which the pool still counts (not the shorter count).
        #expect(pool.retainedBytes == retained)

        // The same buffer, lengthened again within its storage, serves the large request.
        #expect(try relu(large) == (try expected(large)))
        #expect(pool.statistics.allocated == afterFirst.allocated)
        #expect(pool.statistics.reused == 2)

        // A request under half the free buffer's size gets a new buffer of its own.
        #expect(try relu(tiny) == (try expected(tiny)))
        #expect(pool.statistics.allocated == afterFirst.allocated + 1)
        #expect(pool.statistics.reused == 2)
    }

    @Test("the pool keeps no more than its capacity")
    func capacityBoundsTheFreeBuffers() throws {
        let weights = Weights()
        let pool = TensorBufferPool(capacityBytes: 3 * 131_072 * MemoryLayout<Float>.stride)
        _ = try pass(weights, buffers: pool)
        _ = try pass(weights, buffers: pool)
        #expect(pool.retainedBytes <= 3 * 131_072 * MemoryLayout<Float>.stride)
        #expect(pool.retainedBytes > 0)
        let results = try pass(weights, buffers: pool)
        #expect(results.gradient == (try pass(weights, buffers: nil)).gradient)
    }
}
