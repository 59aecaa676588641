#if os(Linux)
import Foundation
import XCTest
import RectGradCore

/// With one worker nothing computes off the calling thread (issue 15, item 6): while a recorded
/// pass forward and backward runs on `Workers.serial`, no other thread of the process works — not
/// the threads that already exist (OpenBLAS's, which it starts when it loads; other tests' idle
/// helpers), and no thread started meanwhile (the pool starts none for one worker).
///
/// The checks read `/proc/self/task`, so they run on Linux only. This is an XCTest case on
/// purpose: `swift test` runs XCTest cases one at a time, never alongside other tests, so the
/// process's threads change only through the code under test (Swift Testing runs tests
/// concurrently). Nothing here depends on timing: thread identities are compared as sets, and
/// the other threads' CPU time must stay at (nearly) zero, not below a duration; the test first
/// waits until the threads that were busy before it (OpenBLAS spins after it loads) are idle.
final class SerialWorkersThreadTests: XCTestCase {
    /// The process's thread ids.
    static func threadIDs() throws -> Set<Int> {
        Set(try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap(Int.init))
    }

    /// The name of thread `id` (`comm`, at most 15 characters), or "" once it has exited.
    static func name(of id: Int) -> String {
        ((try? String(contentsOfFile: "/proc/self/task/\(id)/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The calling thread's id (`/proc/thread-self` links to `<pid>/task/<tid>`).
    static func currentThreadID() throws -> Int {
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")
        return try XCTUnwrap(link.split(separator: "/").last.flatMap { Int($0) })
    }

    /// User plus system CPU time of thread `id`, in clock ticks (`nil` once it has exited).
    static func cpuTicks(of id: Int) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/task/\(id)/stat", encoding: .utf8),
              let end = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name: state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    /// Records a small network and runs its forward pass, an input gradient and a training
    /// backward pass on `workers`: every kind of kernel the tape splits
    /// (im2col and Winograd convolutions, matrix products above the split threshold, element-wise
    /// loops above `forRanges`' minimum, pooling), at sizes where more workers would share them.
    static func pass(on workers: Workers) throws -> Float {
        let input = Tensor.randomNormal([2, 16, 48, 48], seed: 1)
        let weights: [String: Tensor] = [
            "c1": Tensor.randomNormal([32, 16, 5, 5], standardDeviation: 0.05, seed: 2),
            "c2": Tensor.randomNormal([32, 32, 3, 3], standardDeviation: 0.05, seed: 3),
            "c3": Tensor.randomNormal([64, 32, 1, 1], standardDeviation: 0.05, seed: 4),
            "f1": Tensor.randomNormal([10, 64 * 24 * 24], standardDeviation: 0.01, seed: 5),
        ]
        let tape = Tape(workers: workers)
        var parameters: [Variable] = []
        func parameter(_ name: String) -> Variable {
            let variable = tape.parameter(weights[name]!, name: name)
            parameters.append(variable)
            return variable
        }
        let x = tape.input(input)
        var h = try tape.relu(tape.conv2d(x, weight: parameter("c1"), bias: nil, geometry: .init(padding: 2), name: "c1"), name: "r1")
        h = try tape.relu(tape.conv2d(h, weight: parameter("c2"), bias: nil, geometry: .init(padding: 1), name: "c2"), name: "r2")
        h = try tape.maxPool2d(h, geometry: .init(kernel: 2), name: "pool")
        h = try tape.relu(tape.conv2d(h, weight: parameter("c3"), bias: nil, geometry: .init(), name: "c3"), name: "r3")
        let logits = try tape.dense(tape.flatten(h, name: "flatten"), weight: parameter("f1"), bias: nil, name: "f1")
        let seed = Tensor(repeating: 1, shape: try tape.shape(logits))
        let saliency = try tape.backward(from: logits, seed: seed, withRespectTo: [x])
        let loss = try tape.softmaxCrossEntropy(logits, labels: [1, 2])
        let training = try tape.backward(from: loss, withRespectTo: parameters)
        return (saliency[x]?.scalars.first ?? 0) + (training[parameters[0]]?.scalars.first ?? 0)
    }

    /// CPU ticks of every thread but `caller`, by id.
    static func otherThreadsTicks(except caller: Int) throws -> [Int: Int] {
        Dictionary(uniqueKeysWithValues: try threadIDs().filter { $0 != caller }.compactMap { id in cpuTicks(of: id).map { (id, $0) } })
    }

    /// Waits (up to 10 s) until no other thread of the process uses CPU for 300 ms. Threads that
    /// were busy before the pass began are not the pass's doing: OpenBLAS's threads spin for a
    /// while after the library loads, so when this test is the first of a process its helpers
    /// may still be spinning (seen in CI as 3 ticks during a filtered run). Returns whether the
    /// process settled.
    static func waitUntilOtherThreadsIdle(except caller: Int) throws -> Bool {
        var previous = try otherThreadsTicks(except: caller)
        for _ in 0 ..< 100 {
            Thread.sleep(forTimeInterval: 0.1)
            let now = try otherThreadsTicks(except: caller)
            if now == previous {
                Thread.sleep(forTimeInterval: 0.2)
                if try otherThreadsTicks(except: caller) == now { return true }
            }
            previous = try otherThreadsTicks(except: caller)
        }
        return false
    }

    func testSerialPassStartsNoThreadAndLeavesOtherThreadsIdle() throws {
        let caller = try Self.currentThreadID()
        XCTAssertTrue(try Self.waitUntilOtherThreadsIdle(except: caller), "other threads kept working for 10 s before the pass began")
        let before = try Self.threadIDs()
        let ticksBefore = Dictionary(uniqueKeysWithValues: before.compactMap { id in Self.cpuTicks(of: id).map { (id, $0) } })
        let result = try Self.pass(on: .serial)
        let after = try Self.threadIDs()
        let started = after.subtracting(before)
        // A thread started meanwhile may be the test harness's or the runtime's (in a full `swift
        // test` run one appears now and then, and stays idle); one that did any work is a failure.
        let busyStarted = started.filter { (Self.cpuTicks(of: $0) ?? 0) > 0 }
        XCTAssertTrue(busyStarted.isEmpty, "threads started during a pass on one worker did work: \(busyStarted.map(Self.name(of:)))")
        // CPU time other threads used during the pass, new ones included (each tick is 10 ms; idle
        // helpers of earlier tests poll for at most 4 ms after their last region before they park).
        var others = 0
        var busy: [String] = []
        for id in after where id != caller {
            if let now = Self.cpuTicks(of: id), now > ticksBefore[id] ?? 0 {
                others += now - (ticksBefore[id] ?? 0)
                busy.append("\(Self.name(of: id)) \(now - (ticksBefore[id] ?? 0))")
            }
        }
        XCTAssertLessThanOrEqual(others, 2, "other threads ran for \(others) ticks while a pass ran on one worker (\(busy); threads started meanwhile: \(started.map(Self.name(of:))))")
        XCTAssertTrue(result.isFinite)
    }

    /// The same observation notices the helper threads of a value with several workers: the check
    /// above can fail.
    func testSeveralWorkersStartTheirHelpers() throws {
        let before = try Self.threadIDs()
        let workers = Workers(count: 3)
        let result = try Self.pass(on: workers)
        let started = try Self.threadIDs().subtracting(before)
        XCTAssertGreaterThanOrEqual(started.count, 2, "three workers should have started two helper threads")
        XCTAssertTrue(result.isFinite)
        withExtendedLifetime(workers) {}
    }
}
#endif
