import Foundation
import RectGradAttribution
import RectGradCore
import RectGradData
import RectGradImage
import RectGradLayers
import RectGradZoo

/// The settings of `rectgrad demo`.
public struct DemoConfiguration: Sendable {
    /// Held-out images the accuracy is measured on.
    public var accuracyImages = 2_000
    /// Images shown in the comparison figure (one per class, in class order).
    public var figureImages = 5
    /// Images the metrics table averages over.
    public var metricsImages = 40
    /// RectGrad percentiles of the threshold sweep.
    public var sweepPercentiles: [Double] = [0, 10, 20, 50, 80, 90, 95, 98, 99]
    /// Images in the threshold sweep.
    public var sweepImages = 3
    /// Method parameters (occlusion uses a 4×4 window over all channels, stride 2, so that the demo
    /// stays under a minute; every other method uses the spec's defaults).
    public var parameters: MethodParameters = {
        var parameters = MethodParameters()
        parameters.window = [3, 4, 4]
        parameters.stride = [3, 2, 2]
        return parameters
    }()

    /// The dataset style: `.standard`, or `.standard.withOcclusionPatch()` for the paper's
    /// training-dataset occlusion experiment (explain a model trained on the patched images).
    public var style: ShapesStyle = .standard

    /// The default settings.
    public init() {}
}

/// What `rectgrad demo` produced.
public struct DemoResult: Sendable {
    /// The report page.
    public var reportURL: URL
    /// Test accuracy of the model on the held-out images.
    public var accuracy: Double
    /// The metrics table.
    public var metrics: [MethodMetrics]
    /// Wall-clock seconds.
    public var seconds: Double
}

/// `rectgrad demo`: explains held-out images of the built-in shapes dataset with the shipped model
/// and every method, and writes the paper's figures and metrics as a report.
public struct Demo: Sendable {
    /// The explained network (the shipped cifar-cnn by default).
    public var network: Network
    /// A description of the weights for the report.
    public var weightsDescription: String
    /// The settings.
    public var configuration: DemoConfiguration
    /// The threads its passes compute on (see ``Workers``).
    public var workers: Workers

    /// Creates a demo of `network` (trained on the shapes dataset) whose passes run on `workers`.
    public init(network: Network, weightsDescription: String, configuration: DemoConfiguration = DemoConfiguration(), workers: Workers = .default) {
        self.network = network
        self.workers = workers
        self.weightsDescription = weightsDescription
        self.configuration = configuration
    }

    /// The shipped model: cifar-cnn trained by this library on the shapes dataset.
    public static func shippedNetwork() throws -> Network {
        guard let url = ShippedModel.weightsURL else {
            throw ReportError.invalidOption(name: "weights", reason: "this build has no shipped cifar-cnn weights")
        }
        return try Zoo.network(named: ShippedModel.architecture, weights: url)
    }

    /// Runs the demo and writes `report.html` (plus one PNG per figure) into `directory`.
    /// - Parameters:
    ///   - directory: the output folder (created when missing).
    ///   - progress: called with a short status before each step.
    public func run(writingTo directory: URL, progress: (String) -> Void = { _ in }) throws -> DemoResult {
        let clock = ContinuousClock()
        let start = clock.now
        let seed = ShippedModel.recipe.seed
        let c = configuration

        progress("measuring accuracy on \(c.accuracyImages) held-out images")
        let test = try ShapesDataset(split: .test, count: max(c.accuracyImages, c.metricsImages), seed: seed, style: c.style)
        let accuracyIndices = Array(0..<c.accuracyImages)
        let (accuracyImages, accuracyLabels) = try test.batch(accuracyIndices)
        let accuracy = try Evaluation.accuracy(of: network, images: accuracyImages, labels: accuracyLabels, workers: workers)

        let model = Model(
            name: ShippedModel.architecture, network: network,
            preprocessing: try Zoo.entry(named: ShippedModel.architecture).preprocessing, classNames: ShapeClass.names)
        let explainer = Explainer(model: model, methods: MethodName.allCases, parameters: c.parameters, workers: workers)
        // The metrics images: the first `metricsImages` held-out images; the figure shows one image per
        // class among them.
        progress("explaining \(c.metricsImages) held-out images with \(MethodName.allCases.count) methods")
        let metricsIndices = Array(0..<c.metricsImages)
        let explained = try explain(indices: metricsIndices, of: test, with: explainer)
        let patchRegion = c.style.occlusionPatch.map { patch in
            (0..<(ShapesDataset.imageSize * ShapesDataset.imageSize)).map { patch.covers(row: $0 / ShapesDataset.imageSize, column: $0 % ShapesDataset.imageSize) }
        }
        let metrics = try MethodName.allCases.compactMap { try MethodMetrics.average($0, over: explained, patch: patchRegion) }

        var figureIndices: [Int] = []
        var seenClasses = Set<Int>()
        for (index, label) in test.labels.prefix(c.metricsImages).enumerated() where !seenClasses.contains(label) && figureIndices.count < c.figureImages {
            seenClasses.insert(label)
            figureIndices.append(index)
        }
        let figureImages = figureIndices.map { explained[$0] }

        progress("threshold sweep")
        let sweepIndices = Array(figureIndices.prefix(c.sweepImages))
        let sweep = try thresholdSweep(indices: sweepIndices, of: test)

        progress("writing the report")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let report = ExplanationReport(images: figureImages)
        let comparison = try report.comparisonGrid(baselineThreshold: false)
        let comparisonBaseline = try report.comparisonGrid(baselineThreshold: true)
        try comparison.writePNG(to: directory.appendingPathComponent("comparison.png"))
        try comparisonBaseline.writePNG(to: directory.appendingPathComponent("comparison-baseline-threshold.png"))
        try sweep.writePNG(to: directory.appendingPathComponent("threshold-sweep.png"))
        let comparisonTiles = try report.comparisonTileGrid(baselineThreshold: false)
        let comparisonBaselineTiles = try report.comparisonTileGrid(baselineThreshold: true)
        let coincidences = report.coincidences()

        let seconds = (clock.now - start).seconds
        var blocks: [HTMLReport.Block] = [
            .facts([
                ("model", "cifar-cnn, \(weightsDescription)"),
                ("accuracy", "accuracy \(String(format: "%.1f", accuracy * 100)) % (\(c.accuracyImages) held-out images, seed \(seed))"),
                ("dataset", "shapes: 32×32, 10 classes, cluttered backgrounds and distractors, exact object masks"),
                ("methods", MethodName.allCases.map(\.rawValue).joined(separator: ", ")),
                ("parameters", "RectGrad q = \(c.parameters.percentile), τ = \(c.parameters.tau); IG \(c.parameters.steps) steps; SmoothGrad (and SmoothGrad², VarGrad, GradientSHAP) \(c.parameters.samples) samples, noise 0.1; ε-LRP ε = \(c.parameters.epsilon); LRP composites ε = \(c.parameters.lrpEpsilon) at dense layers, z^B with each image's channel range; Grad-CAM at \(c.parameters.layer ?? network.lastConvolutionalBlock ?? "the last convolutional activation"); occlusion window 3×4×4, stride 2"),
                ("time", String(format: "%.1f s", seconds)),
            ]),
            .heading("Comparison with other methods", level: 2),
            .paragraph("One held-out image per class, explained for the predicted class. Every map is shown with the final threshold (0.5, 99.5) — the paper's setting for RectGrad and its baselines \"without final threshold\"."),
        ]
        if !coincidences.isEmpty {
            blocks.append(.paragraph(ExplanationReport.coincidenceNote(coincidences, imageCount: figureImages.count)))
        }
        let sweepTiles = try thresholdSweepTiles(indices: sweepIndices, of: test, caption: "RectGrad × input for increasing q, final threshold (0.5, 99.5).")
        let sweepList = c.sweepPercentiles.map { String(format: "%g", $0) }.joined(separator: ", ")
        let metricsHeader = patchRegion == nil ? MetricsFormatting.header : MetricsFormatting.headerWithPatch
        blocks += [
            .tileGrid(Self.captioned(comparisonTiles, "Final threshold (0.5, 99.5) for every method.")),
            .tileGrid(Self.captioned(comparisonBaselineTiles, "The baselines with the paper's baseline final threshold (95, 99.5); the RectGrad family keeps (0.5, 99.5).")),
            .heading("Threshold percentile q", level: 2),
            .paragraph("RectGrad with q ∈ {\(sweepList)} and RectGrad-const with τ = 0 (which equals guided backprop at every activation, apart from the padding rule). Higher q keeps fewer units and gives sparser, more object-focused maps."),
            .tileGrid(sweepTiles),
            .heading("Attribution outside the object and total variation", level: 2),
            .table(header: metricsHeader, rows: metrics.map(MetricsFormatting.row), caption: MetricsFormatting.caption(imageCount: c.metricsImages)),
            .paragraph(Self.verdict(metrics)),
            .paragraph(Self.comparisonVerdict(metrics)),
        ]
        if patchRegion != nil {
            blocks += [
                .heading("Training-dataset occlusion", level: 2),
                .paragraph("Every training and test image carries the same random 10×10 patch in its top-left corner; it carries no class information, so a faithful method puts (almost) no attribution there. Last column: the share of each map inside the patch."),
            ]
        }
        let page = HTMLReport(
            title: "RectGrad demo — cifar-cnn on the built-in shapes dataset",
            subtitle: "accuracy \(String(format: "%.1f", accuracy * 100)) % on \(c.accuracyImages) held-out images · generated by rectgrad \(RectifiedGradientVersion.string)",
            blocks: blocks
        )
        let url = directory.appendingPathComponent("report.html")
        try page.write(to: url)
        return DemoResult(reportURL: url, accuracy: accuracy, metrics: metrics, seconds: (clock.now - start).seconds)
    }

    /// Explains dataset images in batches (the maps equal single-image runs).
    func explain(indices: [Int], of dataset: ShapesDataset, with explainer: Explainer) throws -> [ExplainedImage] {
        var result: [ExplainedImage] = []
        for start in stride(from: 0, to: indices.count, by: 20) {
            let chunk = Array(indices[start..<min(start + 20, indices.count)])
            let (images, _) = try dataset.batch(chunk)
            let display = try chunk.map { try RGBImage(width: 32, height: 32, pixels: dataset.pixels(at: $0)) }
            result += try explainer.explain(
                names: chunk.map { "test image \($0)" }, displayImages: display, input: images,
                masks: try chunk.map { try dataset.mask(at: $0) }
            )
        }
        return result
    }

    /// RectGrad at each sweep percentile, then RectGrad-const τ = 0, for the images at `indices`.
    func sweepMaps(indices: [Int], of dataset: ShapesDataset) throws -> [Tensor] {
        let (images, _) = try dataset.batch(indices)
        let session = try AttributionSession(network: network, input: images, workers: workers)
        var columns: [Tensor] = []
        for q in configuration.sweepPercentiles {
            columns.append(try session.attribute(.rectGrad(percentile: q)).map)
        }
        columns.append(try session.attribute(.rectGradConstant(tau: 0)).map)
        return columns
    }

    static func captioned(_ grid: TileGrid, _ caption: String) -> TileGrid {
        var grid = grid
        grid.caption = caption
        return grid
    }

    /// The threshold sweep as a tile grid with HTML labels (32×32 tiles enlarged by the browser).
    func thresholdSweepTiles(indices: [Int], of dataset: ShapesDataset, caption: String) throws -> TileGrid {
        let columns = try sweepMaps(indices: indices, of: dataset)
        var rows: [TileGrid.Row] = []
        for (row, index) in indices.enumerated() {
            let input = try RGBImage(width: 32, height: 32, pixels: dataset.pixels(at: index))
            var tiles: [Tile?] = [Tile(source: .embeddedPNG(try input.encodePNG(compressionLevel: 9)), alt: "test image \(index)", pixelWidth: 32, pixelHeight: 32)]
            for (column, map) in columns.enumerated() {
                let picture = try HeatmapTile.render(map.example(row), threshold: .paper)
                tiles.append(Tile(source: .embeddedPNG(try picture.encodePNG(compressionLevel: 9)), alt: "test image \(index), sweep column \(column)", pixelWidth: 32, pixelHeight: 32))
            }
            rows.append(TileGrid.Row(label: "test image \(index)", tiles: tiles))
        }
        let labels = ["input"] + configuration.sweepPercentiles.map { "q = \(String(format: "%g", $0))" } + ["τ = 0 (const)"]
        return TileGrid(columnLabels: labels, rows: rows, maximumColumns: labels.count, caption: caption)
    }

    /// Rows = images, columns = the input, RectGrad at each sweep percentile, RectGrad-const τ = 0.
    func thresholdSweep(indices: [Int], of dataset: ShapesDataset) throws -> RGBImage {
        let columns = try sweepMaps(indices: indices, of: dataset)
        let scale = 4
        var rows: [[RGBImage]] = []
        for (row, index) in indices.enumerated() {
            var cells = [try RGBImage(width: 32, height: 32, pixels: dataset.pixels(at: index)).enlarged(by: scale)]
            for map in columns {
                cells.append(try HeatmapTile.render(map.example(row), threshold: .paper, scale: scale))
            }
            rows.append(cells)
        }
        let labels = ["input"] + configuration.sweepPercentiles.map { "q=\(String(format: "%g", $0))" } + ["tau=0"]
        return try ImageGrid(cells: rows, rowLabels: [], columnLabels: labels, padding: 4).render()
    }

    /// The LRP composites (zennit's) and the class-activation methods, the comparison methods a
    /// reader of today's literature expects next to RectGrad.
    static let comparisonGroups: [(name: String, methods: [MethodName])] = [
        ("the LRP composites", [.lrpEpsilonPlus, .lrpEpsilonPlusFlat, .lrpEpsilonGammaBox, .lrpEpsilonAlpha2Beta1, .lrpEpsilonAlpha2Beta1Flat]),
        ("Grad-CAM and Guided Grad-CAM", [.gradCAM, .guidedGradCAM]),
    ]

    /// States plainly how RectGrad compares with the LRP composites and Grad-CAM on both columns of
    /// the table (outside fraction and normalised total variation, lower is better for both).
    static func comparisonVerdict(_ metrics: [MethodMetrics]) -> String {
        guard let rectGrad = metrics.first(where: { $0.method == .rectGrad }) else { return "" }
        var sentences: [String] = []
        for group in comparisonGroups {
            let members = group.methods.compactMap { name in metrics.first { $0.method == name } }
            guard !members.isEmpty else { continue }
            let figures = members.map { String(format: "%@ %.1f %% / %.2f", $0.method.rawValue, $0.outsideFraction * 100, $0.normalizedTotalVariation) }
            let lessOutside = members.filter { rectGrad.outsideFraction < $0.outsideFraction }.count
            let smoother = members.filter { rectGrad.normalizedTotalVariation < $0.normalizedTotalVariation }.count
            sentences.append("Against \(group.name) (outside fraction / normalised total variation: \(figures.joined(separator: ", "))), RectGrad has less attribution outside the object than \(lessOutside) of \(members.count) and a lower normalised total variation than \(smoother) of \(members.count).")
        }
        guard !sentences.isEmpty else { return "" }
        return String(format: "RectGrad: %.1f %% outside, normalised total variation %.2f. ", rectGrad.outsideFraction * 100, rectGrad.normalizedTotalVariation) + sentences.joined(separator: " ")
    }

    /// States plainly how RectGrad's share of attribution outside the object compares with the others.
    static func verdict(_ metrics: [MethodMetrics]) -> String {
        guard let rectGrad = metrics.first(where: { $0.method == .rectGrad }) else { return "" }
        let others = metrics.filter { !$0.isRectGradFamily }
        let better = others.filter { rectGrad.outsideFraction < $0.outsideFraction }.map(\.method.rawValue)
        let worse = others.filter { rectGrad.outsideFraction >= $0.outsideFraction }.map(\.method.rawValue)
        var text = String(format: "RectGrad (q = 98) puts %.1f %% of its attribution outside the object. ", rectGrad.outsideFraction * 100)
        if worse.isEmpty {
            text += "That is less than every other method here (\(better.joined(separator: ", ")))."
        } else if better.isEmpty {
            text += "That is not less than any other method here (\(worse.joined(separator: ", ")))."
        } else {
            text += "That is less than \(better.joined(separator: ", ")), but not less than \(worse.joined(separator: ", "))."
        }
        return text
    }
}
