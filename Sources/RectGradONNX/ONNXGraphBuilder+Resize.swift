import RectGradCore

extension ONNXGraphBuilder {
    /// Resize (opset 11+) in `nearest` and `linear` mode with scales or sizes known at import:
    /// a separable resampling of height and width. The batch and channel axes must keep their
    /// size; `cubic`, `tf_crop_and_resize` and antialiasing are refused.
    mutating func lowerResize(_ index: Int, attributes: ONNXAttributes) throws(ONNXError) {
        let context = context(index)
        let x = try variableInput(0, of: index)
        let input = shape(of: x)
        guard input.count == 4 else { throw .unsupportedOperator(context, reason: "only NCHW images can be resized (input \(input))") }
        let mode = try attributes.string("mode") ?? "nearest"
        guard mode == "nearest" || mode == "linear" else {
            throw .unsupportedOperator(context, reason: "mode '\(mode)' is not supported (nearest and linear are)")
        }
        let transformation = try attributes.string("coordinate_transformation_mode") ?? "half_pixel"
        let transformations = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"]
        guard transformations.contains(transformation) else {
            throw .unsupportedOperator(context, reason: "coordinate_transformation_mode '\(transformation)' is not supported (\(transformations.joined(separator: ", ")) are)")
        }
        if try attributes.int("antialias", default: 0) != 0 { throw .unsupportedOperator(context, reason: "antialias 1 is not supported") }
        if try attributes.int("exclude_outside", default: 0) != 0, mode != "nearest" {
            throw .unsupportedOperator(context, reason: "exclude_outside 1 is not supported")
        }
        let nearestMode = try attributes.string("nearest_mode") ?? "round_prefer_floor"
        guard ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(nearestMode) else {
            throw .invalidNode(context, reason: "nearest_mode '\(nearestMode)' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil")
        }
        // The axes scales and sizes refer to (opset 18), else all four.
        var axes = [0, 1, 2, 3]
        if let raw = try attributes.ints("axes") {
            axes = []
            for value in raw {
                let axis = value < 0 ? value + 4 : value
                guard axis >= 0, axis < 4, !axes.contains(axis) else { throw .invalidNode(context, reason: "axes \(raw) are invalid for rank 4") }
                axes.append(axis)
            }
        }
        let scalesConstant = try constantInput(2, of: index, required: false)
        let sizesConstant = try constantInput(3, of: index, required: false)
        var scales = [Float](repeating: 1, count: 4)
        var output = input
        if let sizesConstant, sizesConstant.count > 0 {
            guard scalesConstant.map({ $0.count == 0 }) ?? true else { throw .invalidNode(context, reason: "both scales and sizes are given") }
            guard let sizes = sizesConstant.integers, sizes.count == axes.count else {
                throw .invalidNode(context, reason: "sizes must be \(axes.count) integers (shape \(sizesConstant.shape))")
            }
            guard sizes.allSatisfy({ $0 >= 1 && $0 <= 1 << 16 }) else { throw .invalidNode(context, reason: "sizes \(sizes) are out of range") }
            let policy = try attributes.string("keep_aspect_ratio_policy") ?? "stretch"
            switch policy {
            case "stretch":
                for (k, axis) in axes.enumerated() {
                    output[axis] = Int(sizes[k])
                    scales[axis] = Float(output[axis]) / Float(input[axis])
                }
            case "not_larger", "not_smaller":
                let ratios = axes.enumerated().map { k, axis in Float(sizes[k]) / Float(input[axis]) }
                let scale = (policy == "not_larger" ? ratios.min() : ratios.max()) ?? 1
                for axis in axes {
                    scales[axis] = scale
                    output[axis] = Int((Float(input[axis]) * scale + 0.5).rounded(.down))
                }
            default:
                throw .invalidNode(context, reason: "keep_aspect_ratio_policy '\(policy)' is not one of stretch, not_larger, not_smaller")
            }
        } else if let scalesConstant, scalesConstant.count > 0 {
            guard scalesConstant.isFloat, scalesConstant.count == axes.count else {
                throw .invalidNode(context, reason: "scales must be \(axes.count) floating-point values (shape \(scalesConstant.shape))")
            }
            for (k, axis) in axes.enumerated() {
                let scale = scalesConstant.floats[k]
                guard scale.isFinite, scale > 0, scale <= 4096 else { throw .invalidNode(context, reason: "scale \(scale) is out of range") }
                scales[axis] = scale
                let extent = (Double(input[axis]) * Double(scale)).rounded(.down)
                guard extent >= 1, extent <= Double(1 << 16) else {
                    throw .invalidNode(context, reason: "scale \(scale) resizes axis \(axis) of extent \(input[axis]) to \(extent)")
                }
                output[axis] = Int(extent)
            }
        } else {
            throw .invalidNode(context, reason: "neither scales nor sizes is given")
        }
        guard output[0] == input[0], output[1] == input[1] else {
            throw .unsupportedOperator(context, reason: "resizing the batch or channel axis (\(input) → \(output)) is not supported")
        }
        func axis(_ d: Int) throws(ONNXError) -> ResampleAxis {
            let positions = (0..<output[d]).map {
                Self.sourcePosition($0, scale: scales[d], inputExtent: input[d], outputExtent: output[d], transformation: transformation)
            }
            do {
                if mode == "linear" { return try .linear(inputExtent: input[d], positions: positions.map(Double.init)) }
                let sources = positions.map { Self.nearestIndex($0, mode: nearestMode, inputExtent: input[d]) }
                return try .nearest(inputExtent: input[d], sources: sources)
            } catch {
                throw .invalidNode(context, reason: "\(error)")
            }
        }
        let step = ONNXStep.resample(height: try axis(2), width: try axis(3))
        try bind(.variable(emit(step, inputs: [x], node: index)), of: index)
    }

    /// The input coordinate of output position `o` under ONNX's coordinate transformation (in
    /// float32, as onnxruntime computes it).
    static func sourcePosition(_ o: Int, scale: Float, inputExtent: Int, outputExtent: Int, transformation: String) -> Float {
        let resized = Float(o)
        switch transformation {
        case "half_pixel_symmetric":
            let adjustment = Float(outputExtent) / (scale * Float(inputExtent))
            let center = Float(inputExtent) / 2
            let offset = center * (1 - adjustment)
            return offset + (resized + 0.5) / scale - 0.5
        case "pytorch_half_pixel":
            return outputExtent > 1 ? (resized + 0.5) / scale - 0.5 : 0
        case "align_corners":
            return outputExtent == 1 ? 0 : resized * Float(inputExtent - 1) / Float(outputExtent - 1)
        case "asymmetric":
            return resized / scale
        case "tf_half_pixel_for_nn":
            return (resized + 0.5) / scale
        default: // half_pixel
            return (resized + 0.5) / scale - 0.5
        }
    }

    /// The nearest input index of a source coordinate, clamped to the input.
    static func nearestIndex(_ position: Float, mode: String, inputExtent: Int) -> Int {
        let rounded: Float
        switch mode {
        case "floor": rounded = position.rounded(.down)
        case "ceil": rounded = position.rounded(.up)
        case "round_prefer_ceil": rounded = position.rounded(.toNearestOrAwayFromZero)
        default: // round_prefer_floor
            rounded = position == position.rounded(.down) + 0.5 ? position.rounded(.down) : position.rounded(.toNearestOrAwayFromZero)
        }
        guard rounded.isFinite else { return 0 }
        return min(max(Int(rounded), 0), inputExtent - 1)
    }

    /// LRN across channels.
    mutating func lowerLocalResponseNormalization(_ index: Int, attributes: ONNXAttributes) throws(ONNXError) {
        let context = context(index)
        let x = try variableInput(0, of: index)
        guard shape(of: x).count >= 3 else { throw .invalidNode(context, reason: "the input has shape \(shape(of: x)); [N, C, …] is expected") }
        guard let size = try attributes.int("size") else { throw .invalidNode(context, reason: "attribute 'size' is required") }
        let alpha = try attributes.float("alpha", default: 1e-4)
        let beta = try attributes.float("beta", default: 0.75)
        let bias = try attributes.float("bias", default: 1)
        let parameters: LocalResponseNormalization
        do { parameters = try LocalResponseNormalization(size: size, alpha: alpha, beta: beta, bias: bias) } catch {
            throw .invalidNode(context, reason: "\(error)")
        }
        try bind(.variable(emit(.localResponseNormalization(parameters), inputs: [x], node: index)), of: index)
    }
}
