import Testing
import RectGradCore
import RectGradFormats
import RectGradLayers
import RectGradZoo

/// Listing a network's layers and activation sites, and telling which zoo model a file fits.
@Suite struct InspectionTests {
    @Test func activationSitesAreTheNamesSelectorsMatch() throws {
        let network = try Zoo.network(named: "cifar-cnn")
        let sites = try network.activationSites()
        #expect(sites.map(\.name) == ["relu1", "relu2", "relu3", "relu4", "relu5"])
        #expect(sites.map(\.ordinal) == [0, 1, 2, 3, 4])
        #expect(sites.allSatisfy { $0.kind == .relu })
        let efficient = try Zoo.entry(named: "efficientnet-lite0").network(initialization: .zeros).activationSites()
        #expect(efficient.allSatisfy { $0.kind == .relu6 })
        // The DocC article's selector on EfficientNet: no site is called "features.…".
        #expect(!efficient.contains { LayerSelector.namePrefix("features.").matches($0, activationCount: efficient.count) })
    }

    @Test func aSelectorThatMatchesNothingOnARealNetworkIsAnError() throws {
        let network = try Zoo.network(named: "cifar-cnn")
        let tape = Tape()
        let x = tape.input(Tensor.randomUniform([1, 3, 32, 32], low: -1, high: 1, seed: 1))
        let logits = try network.logits(x, on: tape)
        let rules = BackwardRules(activation: GuidedBackpropRule()).overriding(.namePrefix("features."), with: GradientRule())
        let error = #expect(throws: TapeError.self) { try tape.backward(from: logits, withRespectTo: [x], rules: rules) }
        #expect(error == .selectorMatchesNothing(.namePrefix("features."), activations: ["relu1", "relu2", "relu3", "relu4", "relu5"]))
        #expect(error?.description.contains("prefix 'features.'") == true)
        #expect(error?.description.contains("'relu1'") == true)
        // A matching one runs.
        _ = try tape.backward(from: logits, withRespectTo: [x], rules: BackwardRules().overriding(.namePrefix("relu"), with: GuidedBackpropRule()))
    }

    @Test func layersAndDescription() throws {
        let network = try Zoo.network(named: "cifar-cnn")
        let layers = network.parameterizedLayers
        #expect(layers.map(\.layer) == ["conv1", "conv2", "conv3", "conv4", "dense5", "dense6"])
        #expect(layers[0].parameters.map(\.name) == ["weight", "bias"])
        #expect(layers[0].parameters[0].shape == [32, 3, 3, 3])
        #expect(network.description.hasPrefix("cifar-cnn: input [3, 32, 32] (fixed), 10 classes, "))
    }

    @Test func weightsFitListsEveryDifferenceAndNamesTheFittingModel() throws {
        let cifar = try Zoo.network(named: "cifar-cnn", seed: 1)
        let file = cifar.safetensors
        #expect(try Zoo.entry(named: "cifar-cnn").fit(of: file).fits())
        #expect(Zoo.entries(fitting: file).map(\.name) == ["cifar-cnn"])

        var tensors = file.tensors.filter { $0.name != "conv2.bias" && $0.name != "dense6.weight" }
        tensors.append(NamedParameter(name: "extra", value: .zeros([2])))
        tensors[0].value = .zeros([32, 3, 1, 1])
        let fit = try Zoo.entry(named: "cifar-cnn").fit(of: SafetensorsFile(tensors: tensors))
        #expect(fit.missing == ["conv2.bias", "dense6.weight"])
        #expect(fit.unexpected == ["extra"])
        #expect(fit.misshapen == ["conv1.weight [32, 3, 3, 3] (file: [32, 3, 1, 1])"])
        #expect(!fit.fits() && !fit.fits(allowingExtra: true))
        #expect(fit.summary() == "2 missing (conv2.bias, dense6.weight); 1 unexpected (extra); 1 with another shape (conv1.weight [32, 3, 3, 3] (file: [32, 3, 1, 1]))")
        #expect(Zoo.entries(fitting: SafetensorsFile(tensors: tensors)).isEmpty)
        // resnet18's file is not cifar-cnn's.
        let resnetFit = try Zoo.entry(named: "resnet18").fit(of: file)
        #expect(resnetFit.missing.first == "bn1.weight" && resnetFit.unexpected.contains("dense6.weight"))
    }
}
