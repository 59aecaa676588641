import ArgumentParser
import RectifiedGradient

// The library's enums, parsed by argument-parser from their raw values (the help lists the
// choices, and a wrong value gets argument-parser's message naming the option and the choices).
extension OrientationHandling: ExpressibleByArgument {}
extension ImportanceScore: ExpressibleByArgument {}
extension PercentileInterpolation: ExpressibleByArgument {}

/// `--border-rule on|off`.
enum Switch: String, ExpressibleByArgument, CaseIterable {
    case on, off

    var isOn: Bool { self == .on }
}

/// `--resize`: how photos reach the model's input size.
enum ResizeChoice: String, ExpressibleByArgument, CaseIterable {
    /// Resize the shorter side, then crop the centre (torchvision's evaluation transform).
    case centerCrop = "center-crop"
    /// Resize straight to the input size (aspect ratio lost).
    case stretch

    /// `preprocessing` with this resize policy.
    func applied(to preprocessing: Preprocessing) -> Preprocessing {
        switch self {
        case .stretch:
            return preprocessing.resizing(.stretch)
        case .centerCrop:
            if case .centerCrop = preprocessing.resize { return preprocessing }
            return Preprocessing.imageNetEvaluation(inputSize: preprocessing.inputSize, scaling: preprocessing.scaling)
        }
    }
}
