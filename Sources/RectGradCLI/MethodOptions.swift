import ArgumentParser
import Foundation
import RectifiedGradient

/// The parameters of the attribution methods, shared by `attribute` and `explain`; each option
/// is used by the methods it applies to and checked once, also when the chosen methods ignore it.
struct MethodOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("RectGrad's percentile q in [0, 100] (write a negative value as --percentile=-1).", valueName: "q"))
    var percentile: Double = 98

    @Option(name: .long, help: ArgumentHelp("How RectGrad reads the percentile: nearest (the published float32 rule) or linear (NumPy's default).", valueName: "nearest|linear"))
    var interpolation = PercentileInterpolation.nearestFloat32

    @Option(name: .long, help: ArgumentHelp("RectGrad-const's threshold τ.", valueName: "t"))
    var tau: Float = 0

    @Option(name: .long, help: ArgumentHelp("RectGrad's importance score: signed (a·R) or absolute (|a·R|).", valueName: "signed|absolute"))
    var importance = ImportanceScore.signed

    @Option(name: .long, help: ArgumentHelp("The padding rule (default: on for the RectGrad family, off otherwise).", valueName: "on|off"))
    var borderRule: Switch?

    @Option(name: .long, help: ArgumentHelp("Integrated gradients' (and layer integrated gradients') number of steps.", valueName: "m"))
    var steps = 50

    @Option(name: .long, help: ArgumentHelp("How (layer) integrated gradients approximate the path integral with --steps points: riemann (the right Riemann sum) or gauss-legendre.", valueName: "riemann|gauss-legendre"))
    var integration = IntegrationRule.riemann

    @Option(name: .long, help: ArgumentHelp("The baseline of integrated gradients, layer integrated gradients, DeepLIFT, GradientSHAP and occlusion (what an occluded window becomes): \(BaselineChoice.forms) (default zero).", valueName: "baseline"))
    var baseline: String?

    @Option(name: .long, help: ArgumentHelp("SmoothGrad's number of samples.", valueName: "n"))
    var samples = 50

    @Option(name: .long, help: ArgumentHelp("SmoothGrad's noise level (a fraction of each example's value range).", valueName: "s"))
    var noiseLevel: Float = 0.1

    @Option(name: .long, help: ArgumentHelp("SmoothGrad's noise seed.", valueName: "n"))
    var seed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp("ε-LRP's ε.", valueName: "e"))
    var epsilon: Float = 1e-4

    @Option(name: .long, help: ArgumentHelp("Occlusion's window: K (1×K×K), H,W (1×H×W) or C,H,W (default 1; giving it adds occlusion to 'all').", valueName: "size"))
    var window: String?

    @Option(name: .long, help: ArgumentHelp("Occlusion's stride, in the same forms as --window (default 1).", valueName: "size"))
    var stride: String?

    @Option(name: .long, help: ArgumentHelp("The layer of grad-cam, guided-grad-cam and layer-integrated-gradients: a recorded layer output's name (default: the model's last convolutional block).", valueName: "name"))
    var layer: String?

    /// What `all` means, for the commands' help.
    static let allHelp = "'all' is every method but occlusion (one forward pass per window position: about 150,000 on a 224×224 image with the default 1×1 window) unless --window is given or occlusion is named, e.g. all,occlusion"

    func validate() throws {
        do { _ = try baselineChoice() } catch let error as OptionError { throw ValidationError(error.description) }
        let parameters = try parameters()
        // Every option value is checked once, also those the chosen methods do not use.
        for name in MethodName.allCases {
            do { try name.method(parameters).validate() } catch { throw ValidationError(OptionError(error).description) }
        }
    }

    /// Every method parameter from the options.
    func parameters() throws -> MethodParameters {
        var parameters = MethodParameters()
        parameters.percentile = percentile
        parameters.tau = tau
        parameters.importance = importance
        parameters.interpolation = interpolation
        parameters.masksConvolutionBorder = borderRule?.isOn
        parameters.steps = steps
        parameters.integration = integration
        parameters.samples = samples
        parameters.noiseLevel = noiseLevel
        parameters.seed = seed
        parameters.epsilon = epsilon
        parameters.window = try Self.occlusionShape(window ?? "1", option: "--window")
        parameters.stride = try Self.occlusionShape(stride ?? "1", option: "--stride")
        parameters.layer = layer
        return parameters
    }

    /// `--baseline` parsed (not yet resolved against a model and an input).
    /// - Throws: an ``OptionError`` for `--baseline`.
    func baselineChoice() throws -> BaselineChoice {
        try baseline.map { try BaselineChoice(parsing: $0) } ?? .zero
    }

    /// Every method parameter, with the baseline resolved for `batch` explained by `model`.
    func parameters(model: Model, batch: Tensor, orientation: OrientationHandling) throws -> MethodParameters {
        var parameters = try parameters()
        parameters.baseline = try baselineChoice().baseline(model: model, batch: batch, orientation: orientation)
        return parameters
    }

    /// The methods a comma-separated `list` names, in the order given, without repeats; `all`
    /// stands for every method but occlusion, which it includes only when `--window` is given.
    /// - Throws: a `ValidationError` naming `option` for an unknown name (with close matches).
    func methodNames(_ list: String, option: String) throws -> [MethodName] {
        var names: [MethodName] = []
        let items = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw ValidationError("\(option) needs at least one method name.") }
        for item in items {
            if item.lowercased() == "all" {
                names += MethodName.allCases.filter { $0 != .occlusion || window != nil }
            } else {
                do { names.append(try MethodName(parsing: item)) } catch { throw ValidationError(OptionError(option: option, message: "\(error.reason)").description) }
            }
        }
        var seen = Set<MethodName>()
        return names.filter { seen.insert($0).inserted }
    }

    /// `K` → `[1, K, K]`, `H,W` → `[1, H, W]`, `C,H,W` → `[C, H, W]`.
    static func occlusionShape(_ text: String, option: String) throws -> [Int] {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.count <= 3, values.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("\(option) must be K, H,W or C,H,W with positive integers, got '\(text)'.")
        }
        let sizes = values.compactMap { $0 }
        switch sizes.count {
        case 1: return [1, sizes[0], sizes[0]]
        case 2: return [1] + sizes
        default: return sizes
        }
    }
}

extension AttributionError {
    /// The reason alone, for messages that name the option themselves.
    var reason: String {
        if case .invalidParameter(_, let reason) = self { return reason }
        return description
    }
}
