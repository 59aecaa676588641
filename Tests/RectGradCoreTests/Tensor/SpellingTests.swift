import Testing
import RectGradCore

/// "Did you mean": edit distances by hand and the choice of close names.
@Suite struct SpellingTests {
    @Test func editDistance() {
        #expect(Spelling.editDistance("", "abc") == 3)
        #expect(Spelling.editDistance("kitten", "sitting") == 3)   // k→s, e→i, +g
        #expect(Spelling.editDistance("rectgard", "rectgrad") == 2) // a transposition is two edits
        #expect(Spelling.editDistance("VGG16", "vgg16") == 0)       // case is ignored
        #expect(Spelling.editDistance("resnet5", "resnet50") == 1)
    }

    @Test func closeMatches() {
        let models = ["cifar-cnn", "vgg11", "vgg16", "vgg19", "resnet18", "resnet34", "resnet50", "efficientnet-lite0"]
        // Within a third of the length: resnet50 (1 edit) before resnet18 and resnet34 (2 edits).
        #expect(Spelling.closeMatches(to: "resnet5", in: models) == ["resnet50", "resnet18", "resnet34"])
        #expect(Spelling.closeMatches(to: "resnet5", in: models, limit: 1) == ["resnet50"])
        // Containment counts too.
        #expect(Spelling.closeMatches(to: "efficientnet", in: models) == ["efficientnet-lite0"])
        #expect(Spelling.closeMatches(to: "alexnet", in: models).isEmpty)
        #expect(Spelling.didYouMean("vgg17", in: models) == "; did you mean 'vgg11', 'vgg16' or 'vgg19'?")
        #expect(Spelling.didYouMean("cifar", in: models) == "; did you mean 'cifar-cnn'?")
        #expect(Spelling.didYouMean("alexnet", in: models) == "")
    }
}
