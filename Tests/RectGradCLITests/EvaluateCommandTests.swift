import Foundation
import Testing

@Test func evaluateIsListedAndDocumentsItsOptions() throws {
    let root = try rectgrad(["--help"])
    #expect(root.status == 0 && root.standardOutput.contains("  evaluate "))
    let help = try rectgrad(["evaluate", "--help"])
    #expect(help.status == 0)
    for option in ["--checks", "--count", "--layers", "--deletion-steps", "--fill", "--radius", "--sensitivity-samples", "--out"] {
        #expect(help.standardOutput.contains(option), "missing \(option)")
    }
}

@Test func evaluateErrorsNameTheOption() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-evaluate-unused").path
    let base = ["evaluate", "--model", "cifar-cnn", "--out", out]
    let cases: [([String], String)] = [
        (["--checks", "deletion,sanity"], "--checks"),
        (["--count", "0"], "--count"),
        (["--count", "20000"], "--count"),
        (["--radius=-0.5"], "--radius"),
        (["--sensitivity-samples", "0"], "--sensitivity-samples"),
        (["--deletion-steps", "0"], "--deletion-steps"),
        (["--blur-sigma", "0"], "--blur-sigma"),
        (["--method", "rectgard"], "--method"),
        (["--layers", "conv9", "--count", "1"], "--layers"),
    ]
    for (arguments, option) in cases {
        let run = try rectgrad(base + arguments)
        #expect(run.status != 0 && run.status < 128, "\(arguments): status \(run.status)")
        #expect(run.standardError.contains(option), "\(arguments): \(run.standardError)")
        #expect(!run.standardError.contains("Fatal error"))
    }
    #expect(!FileManager.default.fileExists(atPath: out))
}

@Test func evaluateWritesTheReportAndCSVFiles() throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = try rectgrad([
        "evaluate", "--model", "cifar-cnn", "--count", "2", "--method", "saliency,rectgrad", "--checks", "randomisation,deletion,sensitivity,localisation",
        "--layers", "dense6", "--skip-data-randomisation", "--deletion-steps", "4", "--sensitivity-samples", "2", "--out", folder.path,
    ])
    #expect(run.status == 0, "stderr: \(run.standardError)")
    for file in ["report.html", "randomisation.csv", "deletion.csv", "deletion-curves.csv", "sensitivity.csv", "localisation.csv", "deletion.png"] {
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), "missing \(file)")
    }
    let deletion = try String(contentsOf: folder.appendingPathComponent("deletion.csv"), encoding: .utf8).split(separator: "\n")
    #expect(deletion.count == 4)   // header, saliency, rectgrad, random
    #expect(deletion.dropFirst().map { $0.split(separator: ",")[0] } == ["saliency", "rectgrad", "random"])
    for row in deletion.dropFirst() {
        for value in row.split(separator: ",")[1...3] {
            let area = try #require(Double(value))
            #expect((0...1).contains(area))
        }
    }
    // Two modes × one layer × two methods.
    let randomisation = try String(contentsOf: folder.appendingPathComponent("randomisation.csv"), encoding: .utf8).split(separator: "\n")
    #expect(randomisation.count == 5)
    #expect(randomisation.dropFirst().allSatisfy { $0.contains(",dense6,1,") })
    let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(html.contains("Model randomisation") && html.contains("pointing game") && html.contains("max-sensitivity"))
}

@Test func evaluateRunsTheLRPCompositesAndGradCAMThroughEveryCheck() throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let methods = ["rectgrad", "lrp-epsilon-plus", "lrp-epsilon-gamma-box", "lrp-epsilon-alpha2-beta1-flat", "grad-cam", "guided-grad-cam"]
    let run = try rectgrad([
        "evaluate", "--model", "cifar-cnn", "--count", "2", "--method", methods.joined(separator: ","), "--checks", "all",
        "--layers", "dense6", "--skip-data-randomisation", "--deletion-steps", "4", "--sensitivity-samples", "2", "--out", folder.path,
    ])
    #expect(run.status == 0, "stderr: \(run.standardError)")
    func rows(_ file: String) throws -> [[Substring]] {
        try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    }
    // One row per method (and the random ranking), every figure a number in its range.
    let deletion = try rows("deletion.csv")
    #expect(deletion.map { String($0[0]) } == methods + ["random"])
    for row in deletion { for value in row[1...3] { #expect((0...1).contains(try #require(Double(value))), "\(row)") } }
    let localisation = try rows("localisation.csv")
    #expect(localisation.map { String($0[0]) } == methods)
    for row in localisation { #expect((0...1).contains(try #require(Double(row[1]))), "\(row)") }
    let sensitivity = try rows("sensitivity.csv")
    #expect(sensitivity.map { String($0[0]) } == methods.flatMap { [$0, $0] })
    for row in sensitivity { #expect(try #require(Double(row[2])) >= 0, "\(row)") }
    // Two modes × one layer × six methods.
    let randomisation = try rows("randomisation.csv")
    #expect(randomisation.count == 12)
    #expect(Set(randomisation.map { String($0[4]) }) == Set(methods))
}

@Test func evaluateDefaultsToThePapersMethodsTheLRPCompositesAndGradCAM() throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let defaults = [
        "saliency", "gradient-x-input", "integrated-gradients", "smoothgrad", "deconvnet", "guided-backprop",
        "rectgrad", "rectgrad-const", "rectgrad-prr", "epsilon-lrp", "deeplift",
        "lrp-epsilon-plus", "lrp-epsilon-plus-flat", "lrp-epsilon-gamma-box", "lrp-epsilon-alpha2-beta1", "lrp-epsilon-alpha2-beta1-flat",
        "grad-cam", "guided-grad-cam",
    ]
    let run = try rectgrad(["evaluate", "--model", "cifar-cnn", "--count", "1", "--checks", "localisation", "--steps", "2", "--samples", "2", "--out", folder.path])
    #expect(run.status == 0, "stderr: \(run.standardError)")
    #expect(run.standardOutput.contains("methods: \(defaults.joined(separator: ", ")); checks: localisation"), "\(run.standardOutput)")
    let localisation = try String(contentsOf: folder.appendingPathComponent("localisation.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
    #expect(localisation.map { String($0.split(separator: ",")[0]) } == defaults)
    // `default` combines with other names, in the order given, without repeats.
    let more = try rectgrad(["evaluate", "--model", "cifar-cnn", "--count", "1", "--checks", "localisation", "--method", "vargrad,default,rectgrad", "--steps", "2", "--samples", "2", "--out", folder.appendingPathComponent("more").path])
    #expect(more.status == 0, "stderr: \(more.standardError)")
    #expect(more.standardOutput.contains("methods: \((["vargrad"] + defaults).joined(separator: ", ")); checks: localisation"), "\(more.standardOutput)")
}
