import RectGradCore

/// A 2-D convolution layer: weight `[out, in/groups, kH, kW]`, optional bias `[out]`.
public struct Conv2D: Layer {
    public var name: String
    /// The kernel, `[out, in/groups, kH, kW]`.
    public var weight: Tensor
    /// The bias, `[out]`, if any.
    public var bias: Tensor?
    /// Stride, padding, dilation and groups.
    public var geometry: Convolution2DGeometry

    /// Creates a convolution from explicit tensors.
    public init(name: String, weight: Tensor, bias: Tensor? = nil, geometry: Convolution2DGeometry = .init()) {
        self.name = name
        self.weight = weight
        self.bias = bias
        self.geometry = geometry
    }

    /// Creates a convolution with He-normal weights (`std = √(2 / fan_in)`) and zero bias.
    public init(name: String, inputChannels: Int, outputChannels: Int, kernel: Size2D, geometry: Convolution2DGeometry = .init(), bias: Bool = true, generator: inout SeededGenerator) {
        let fanIn = inputChannels / max(geometry.groups, 1) * kernel.height * kernel.width
        let std = Float((2.0 / Double(max(fanIn, 1))).squareRoot())
        self.init(
            name: name,
            weight: Tensor.randomNormal([outputChannels, inputChannels / max(geometry.groups, 1), kernel.height, kernel.width], standardDeviation: std, generator: &generator),
            bias: bias ? Tensor.zeros([outputChannels]) : nil,
            geometry: geometry
        )
    }

    /// Output channels.
    public var outputChannels: Int { weight.shape[0] }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable {
        let w = tape.parameter(weight, name: qualified(name, "weight"))
        let b = bias.map { tape.parameter($0, name: qualified(name, "bias")) }
        return try tape.conv2d(input, weight: w, bias: b, geometry: geometry, name: name)
    }

    public var parameters: [NamedParameter] {
        [NamedParameter(name: qualified(name, "weight"), value: weight)]
            + (bias.map { [NamedParameter(name: qualified(name, "bias"), value: $0)] } ?? [])
    }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer {
        var copy = self
        copy.weight = try replacement(for: qualified(name, "weight"), current: weight, in: values)
        if let bias { copy.bias = try replacement(for: qualified(name, "bias"), current: bias, in: values) }
        return copy
    }
}

/// A fully connected layer: weight `[out, in]`, optional bias `[out]`.
public struct Linear: Layer {
    public var name: String
    /// The weight, `[out, in]`.
    public var weight: Tensor
    /// The bias, `[out]`, if any.
    public var bias: Tensor?

    /// Creates a dense layer from explicit tensors.
    public init(name: String, weight: Tensor, bias: Tensor? = nil) {
        self.name = name
        self.weight = weight
        self.bias = bias
    }

    /// Creates a dense layer with He-normal weights and zero bias.
    public init(name: String, inputFeatures: Int, outputFeatures: Int, bias: Bool = true, generator: inout SeededGenerator) {
        let std = Float((2.0 / Double(max(inputFeatures, 1))).squareRoot())
        self.init(
            name: name,
            weight: Tensor.randomNormal([outputFeatures, inputFeatures], standardDeviation: std, generator: &generator),
            bias: bias ? Tensor.zeros([outputFeatures]) : nil
        )
    }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable {
        let w = tape.parameter(weight, name: qualified(name, "weight"))
        let b = bias.map { tape.parameter($0, name: qualified(name, "bias")) }
        return try tape.dense(input, weight: w, bias: b, name: name)
    }

    public var parameters: [NamedParameter] {
        [NamedParameter(name: qualified(name, "weight"), value: weight)]
            + (bias.map { [NamedParameter(name: qualified(name, "bias"), value: $0)] } ?? [])
    }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer {
        var copy = self
        copy.weight = try replacement(for: qualified(name, "weight"), current: weight, in: values)
        if let bias { copy.bias = try replacement(for: qualified(name, "bias"), current: bias, in: values) }
        return copy
    }
}
