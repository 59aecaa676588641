import ArgumentParser
import Foundation
import RectifiedGradient

/// `--baseline`: what (layer) integrated gradients, DeepLIFT, GradientSHAP and occlusion compare
/// the input with. Parsed (and its values checked) before any work; resolved against the model and
/// the input once they are known.
enum BaselineChoice: Equatable, CustomStringConvertible {
    /// All zeros in the model's input space (the default).
    case zero
    /// Every input value equal to `V` (in the model's input space, after preprocessing).
    case constant(Float)
    /// A black image, preprocessed as the model preprocesses photos.
    case black
    /// Each input blurred by a Gaussian of standard deviation `sigma` pixels.
    case blur(sigma: Double)
    /// An image of uniformly random pixels (seeded), preprocessed as the model preprocesses photos.
    case uniformNoise(seed: UInt64)
    /// A file: a `.npy` array (`[C, H, W]`, `[1, C, H, W]` or one per example) in the model's input
    /// space, or a PNG/JPEG image prepared like the inputs.
    case file(String)

    /// The forms `--baseline` accepts, for its help and its errors.
    static let forms = "zero, constant:V, black, blur:SIGMA, uniform-noise[:SEED] or a .npy/.png/.jpg file"

    /// Parses `text`.
    /// - Throws: an ``OptionError`` for `--baseline` naming what is wrong.
    init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let lowered = trimmed.lowercased()
        let (head, argument): (String, String?) = {
            guard let colon = lowered.firstIndex(of: ":") else { return (lowered, nil) }
            return (String(lowered[..<colon]), String(trimmed[trimmed.index(after: colon)...]))
        }()
        func fail(_ message: String) -> OptionError { OptionError(option: "--baseline", message: message) }
        switch head {
        case "zero":
            guard argument == nil else { throw fail("'zero' takes no value, got '\(text)'") }
            self = .zero
        case "black":
            guard argument == nil else { throw fail("'black' takes no value, got '\(text)'") }
            self = .black
        case "constant":
            guard let argument, let value = Float(argument), value.isFinite else {
                throw fail("constant:V needs a finite number V, got '\(text)'")
            }
            guard abs(value) <= 1e6 else { throw fail("constant:\(argument) is far outside any model's input range (|V| ≤ 1e6)") }
            self = .constant(value)
        case "blur":
            guard let argument, let sigma = Double(argument), sigma.isFinite, sigma > 0, sigma <= 1000 else {
                throw fail("blur:SIGMA needs a standard deviation in pixels in (0, 1000], got '\(text)'")
            }
            self = .blur(sigma: sigma)
        case "uniform-noise":
            if let argument {
                guard let seed = UInt64(argument) else { throw fail("uniform-noise:SEED needs a non-negative integer seed, got '\(text)'") }
                self = .uniformNoise(seed: seed)
            } else {
                self = .uniformNoise(seed: 0)
            }
        default:
            let extensions = [".npy", ".png", ".jpg", ".jpeg"]
            guard extensions.contains(where: { lowered.hasSuffix($0) }) else {
                throw fail("unknown baseline '\(text)'\(Spelling.didYouMean(head, in: ["zero", "constant", "black", "blur", "uniform-noise"])); give \(Self.forms)")
            }
            self = .file(trimmed)
        }
    }

    /// The baseline for `batch` (`[N, C, H, W]`) explained by `model`.
    /// - Throws: an ``OptionError`` for `--baseline` when the file cannot be read or does not fit
    ///   the input, or an image baseline is asked of a model whose input is not RGB.
    func baseline(model: Model, batch: Tensor, orientation: OrientationHandling) throws -> Baseline {
        let (height, width) = (batch.shape[2], batch.shape[3])
        func image(_ pixels: [UInt8]) throws -> Baseline {
            guard batch.shape[1] == 3 else {
                throw OptionError(option: "--baseline", message: "\(self) is an RGB image, but \(model.name) takes \(batch.shape[1]) input channels; give zero, constant:V, blur:SIGMA or a .npy file")
            }
            return .tensor(try RGBImage(width: width, height: height, pixels: pixels).tensor(scaling: model.preprocessing.scaling))
        }
        switch self {
        case .zero: return .zero
        case .constant(let value): return .constant(value)
        case .black: return try image([UInt8](repeating: 0, count: width * height * 3))
        case .blur(let sigma):
            do { return try Baseline.blurred(batch, sigma: sigma) } catch { throw OptionError(option: "--baseline", message: error.reason) }
        case .uniformNoise(let seed):
            let noise = Tensor.randomUniform([width * height * 3], low: 0, high: 256, seed: seed)
            return try image(noise.scalars.map { UInt8(min(max($0.rounded(.down), 0), 255)) })
        case .file(let path):
            try FileAccess.checkInputFile(path, option: "--baseline")
            let tensor: Tensor
            if path.lowercased().hasSuffix(".npy") {
                tensor = try NumPyFile.read(contentsOf: URL(fileURLWithPath: path))
            } else {
                let decoded = try ImageDecoding.decode(contentsOf: URL(fileURLWithPath: path), options: .init(orientation: orientation))
                tensor = try model.input(from: [decoded])
            }
            let example = Array(batch.shape.dropFirst())
            guard tensor.shape == example || tensor.shape == [1] + example || tensor.shape == batch.shape else {
                throw OptionError(option: "--baseline", message: "\(path) has shape \(tensor.shape); the input needs \(example), [1, \(example.map(String.init).joined(separator: ", "))] or \(batch.shape)")
            }
            guard tensor.isFinite else { throw OptionError(option: "--baseline", message: "\(path) contains NaN or infinity") }
            return .tensor(tensor)
        }
    }

    var description: String {
        switch self {
        case .zero: return "zero"
        case .constant(let value): return "constant:\(value)"
        case .black: return "black"
        case .blur(let sigma): return "blur:\(sigma)"
        case .uniformNoise(let seed): return "uniform-noise:\(seed)"
        case .file(let path): return path
        }
    }
}

extension IntegrationRule: ExpressibleByArgument {}
