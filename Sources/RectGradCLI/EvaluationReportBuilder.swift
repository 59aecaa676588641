import Foundation
import RectifiedGradient

/// Collects the results of `rectgrad evaluate` and writes report.html, the CSV files and the PNG charts.
struct EvaluationReportBuilder {
    /// The data-randomisation outcome.
    struct DataRandomisationOutcome {
        var settings: DataRandomisation
        var comparisons: [MapComparison]
        var permutedTestAccuracy: Double
        var originalTestAccuracy: Double
        var finalTrainingAccuracy: Double
    }

    /// One method's localisation figures.
    struct LocalisationRow {
        var method: String
        var pointingGame: Double
        var relevanceMass: Double
        var definedMasses: Int
    }

    var modelName: String
    var weights: String
    var source: String
    var methods: [String]
    var settings: EvaluationSettings
    var timings: [(String, Double)] = []
    var totalSeconds = 0.0
    var randomisation: ModelRandomisationResult?
    var dataRandomisation: DataRandomisationOutcome?
    var perturbation: [PerturbationSummary]?
    var sensitivity: [(String, [Sensitivity.Figures])]?
    var localisation: [LocalisationRow]?
    var maskShare: Double?

    init(modelName: String, weights: String, source: String, methods: [String], settings: EvaluationSettings) {
        self.modelName = modelName
        self.weights = weights
        self.source = source
        self.methods = methods
        self.settings = settings
    }

    static func f(_ value: Double) -> String { value.isFinite ? String(format: "%.3f", value) : "n/a" }
    static func csvNumber(_ value: Double) -> String { value.isFinite ? String(format: "%.6g", value) : "nan" }

    /// Writes every file into `folder`; returns the names written.
    func write(to folder: String) throws -> [String] {
        try FileAccess.createFolder(folder, option: "--out")
        var blocks: [HTMLReport.Block] = []
        var files: [String: Data] = [:]
        /// The chart, split into parts of at most eight series (LineChart's palette has eight
        /// colours); a series named `random` is drawn in every part as the reference.
        func chart(_ chart: LineChart, file: String, caption: String) throws {
            let reference = chart.series.filter { $0.name == "random" }
            let others = chart.series.filter { $0.name != "random" }
            let perPart = 8 - reference.count
            let parts = stride(from: 0, to: max(others.count, 1), by: perPart).map { Array(others[$0..<min($0 + perPart, others.count)]) + reference }
            for (index, series) in parts.enumerated() {
                var part = chart
                part.series = series
                let suffix = parts.count > 1 ? " (\(index + 1)/\(parts.count))" : ""
                part.title += suffix
                let name = parts.count > 1 ? file.replacingOccurrences(of: ".png", with: "-\(index + 1).png") : file
                let png = try part.render().encodePNG()
                files[name] = png
                blocks.append(.figure(png: png, caption: caption + suffix, alt: part.title, pixelWidth: 560))
            }
        }
        /// At most about 11 points of a curve (every k-th step and the last), so the axis labels stay readable.
        func thinned(_ points: [(x: Double, y: Double)]) -> [(x: Double, y: Double)] {
            let stride = max(1, (points.count - 1 + 9) / 10)
            return points.enumerated().filter { $0.offset % stride == 0 || $0.offset == points.count - 1 }.map(\.element)
        }

        var facts: [(String, String)] = [
            ("model", "\(modelName) (\(weights))"), ("images", source), ("methods", methods.joined(separator: ", ")),
            ("checks", settings.checks.map(\.rawValue).joined(separator: ", ")), ("seed", "\(settings.seed)"),
        ]
        facts += timings.map { ($0.0, String(format: "%.1f s", $0.1)) }
        facts.append(("total", String(format: "%.1f s", totalSeconds)))
        blocks.append(.facts(facts))

        if let randomisation {
            blocks.append(.heading("Model randomisation (Adebayo et al. 2018)", level: 2))
            let steps = randomisation.layers.enumerated().map { "\($0.offset + 1) = \($0.element)" }.joined(separator: ", ")
            blocks.append(.paragraph("Similarity of each method's map to its map on the trained network, mean over the images, after re-initialising the layers (cascading: every layer from the top down to the step's layer; independent: that layer alone). Steps, top first: \(steps). Spearman rank correlation of |M| and of the signed M, SSIM and HOG similarity of |M|, M the channel-summed attribution. A method that passes the check falls towards 0 as layers are randomised."))
            var csv = "mode,step,layer,reinitialised_layers,method,spearman_abs,spearman_signed,ssim,hog\n"
            for mode in RandomisationMode.allCases {
                for (measureIndex, measure) in MapComparison.measureNames.enumerated() {
                    let series = randomisation.methods.map { method in
                        LineChart.Series(name: method, points: randomisation.layers.enumerated().compactMap { step, layer in
                            randomisation.point(mode, layer: layer, method: method).map { (Double(step + 1), $0.similarity.values[measureIndex]) }
                        })
                    }
                    guard series.contains(where: { !$0.points.isEmpty }) else { continue }
                    let slug = measure.lowercased().replacingOccurrences(of: " |m|", with: "-abs").replacingOccurrences(of: " m", with: "-signed")
                    try chart(LineChart(title: "\(mode) randomisation: \(measure)", xLabel: "step (layers re-initialised, top first)", yLabel: measure, series: series, yRange: -0.2...1),
                              file: "randomisation-\(mode.rawValue)-\(slug).png", caption: "\(mode) randomisation, \(measure)")
                    let rows = randomisation.methods.map { method in
                        [method] + randomisation.layers.map { layer in randomisation.point(mode, layer: layer, method: method).map { Self.f($0.similarity.values[measureIndex]) } ?? "" }
                    }
                    blocks.append(.details(summary: "table: \(mode), \(measure)", blocks: [.table(header: ["method"] + randomisation.layers, rows: rows, caption: "\(mode) randomisation, \(measure) (columns: the step's layer)")]))
                }
                for (step, layer) in randomisation.layers.enumerated() {
                    for method in randomisation.methods {
                        guard let point = randomisation.point(mode, layer: layer, method: method) else { continue }
                        csv += "\(mode.rawValue),\(step + 1),\(layer),\(point.reinitialisedLayers.count),\(method)," + point.similarity.values.map(Self.csvNumber).joined(separator: ",") + "\n"
                    }
                }
            }
            files["randomisation.csv"] = Data(csv.utf8)
        }

        if let data = dataRandomisation {
            blocks.append(.heading("Data randomisation", level: 2))
            blocks.append(.paragraph("cifar-cnn trained from seeded He weights on \(data.settings.trainCount) shapes training images with permuted labels (seed \(data.settings.seed)) for \(data.settings.training.epochs) epochs (batch \(data.settings.training.batchSize), Adam \(data.settings.training.learningRate)); its final training accuracy \(Self.f(data.finalTrainingAccuracy)), held-out accuracy \(Self.f(data.permutedTestAccuracy)) (true-label model: \(Self.f(data.originalTestAccuracy))). Similarity of its maps to the true-label model's maps of the same images and classes, mean over the images."))
            let rows = zip(methods, data.comparisons).map { [$0] + $1.values.map(Self.f) }
            blocks.append(.table(header: ["method"] + MapComparison.measureNames, rows: rows, caption: "permuted-label network vs true-label network"))
            files["data-randomisation.csv"] = Data(("method,spearman_abs,spearman_signed,ssim,hog\n" + zip(methods, data.comparisons).map { "\($0)," + $1.values.map(Self.csvNumber).joined(separator: ",") }.joined(separator: "\n") + "\n").utf8)
        }

        if let perturbation {
            let fill = settings.perturbation.fill.map(\.description) ?? "blurred (default σ)"
            blocks.append(.heading("Deletion, insertion and pixel flipping (Petsiuk et al. 2018; Samek et al. 2017)", level: 2))
            blocks.append(.paragraph("Pixels in the order of the channel-summed map (most positive first; equal values in a seeded random order), \(settings.perturbation.steps) steps; fill: \(fill). Probability of the explained class (the prediction on the intact image). Deletion = MoRF pixel flipping (lower area is better); insertion into the fill (higher is better); LeRF deletes the least relevant first (higher is better); LeRF − MoRF summarises pixel flipping. 'random' ranks every pixel by seeded noise."))
            let rows = perturbation.map { [$0.ranking, Self.f($0.deletionArea), Self.f($0.insertionArea), Self.f($0.leastRelevantFirstArea), Self.f($0.leastRelevantFirstArea - $0.deletionArea)] }
            blocks.append(.table(header: ["ranking", "deletion AUC ↓", "insertion AUC ↑", "LeRF AUC ↑", "LeRF − MoRF ↑"], rows: rows, caption: "mean over \(perturbation.first?.imageCount ?? 0) images"))
            for (title, file, curve) in [("deletion (MoRF)", "deletion.png", \PerturbationSummary.deletion), ("insertion", "insertion.png", \PerturbationSummary.insertion), ("LeRF deletion", "lerf.png", \PerturbationSummary.leastRelevantFirst)] {
                let series = perturbation.map { summary in LineChart.Series(name: summary.ranking, points: thinned(zip(summary[keyPath: curve].fractions, summary[keyPath: curve].probabilities).map { ($0, $1) })) }
                try chart(LineChart(title: title, xLabel: "fraction of pixels", yLabel: "p(class)", series: series, yRange: 0...1), file: file, caption: "mean \(title) curve (every \(max(1, (settings.perturbation.steps + 9) / 10))th step drawn; the CSV has them all)")
            }
            files["deletion.csv"] = Data(("ranking,deletion_auc,insertion_auc,lerf_auc,lerf_minus_morf,images\n" + perturbation.map {
                "\($0.ranking),\(Self.csvNumber($0.deletionArea)),\(Self.csvNumber($0.insertionArea)),\(Self.csvNumber($0.leastRelevantFirstArea)),\(Self.csvNumber($0.leastRelevantFirstArea - $0.deletionArea)),\($0.imageCount)"
            }.joined(separator: "\n") + "\n").utf8)
            var curves = "ranking,curve,fraction,probability\n"
            for summary in perturbation {
                for (name, curve) in [("deletion", summary.deletion), ("insertion", summary.insertion), ("lerf", summary.leastRelevantFirst)] {
                    for (x, y) in zip(curve.fractions, curve.probabilities) { curves += "\(summary.ranking),\(name),\(Self.csvNumber(x)),\(Self.csvNumber(y))\n" }
                }
            }
            files["deletion-curves.csv"] = Data(curves.utf8)
        }

        if let sensitivity {
            blocks.append(.heading("Sensitivity (Yeh et al. 2019)", level: 2))
            blocks.append(.paragraph("\(settings.sensitivitySamples) perturbations uniform in [−r, r] per input value, r = \(settings.radius) (network input units), the explained class fixed. Max- and average-sensitivity are the max and mean over the perturbations of the L2 distance of the attribution to the unperturbed one; the relative figures divide by the unperturbed attribution's L2 norm. Means over the images; lower is more stable."))
            func mean(_ values: [Double]) -> Double {
                let finite = values.filter(\.isFinite)
                return finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count)
            }
            let rows = sensitivity.map { name, figures in
                [name, Self.f(mean(figures.map(\.maximum))), Self.f(mean(figures.map(\.average))), Self.f(mean(figures.map(\.relativeMaximum))), Self.f(mean(figures.map(\.relativeAverage)))]
            }
            blocks.append(.table(header: ["method", "max-sensitivity", "avg-sensitivity", "relative max", "relative avg"], rows: rows, caption: nil))
            var csv = "method,image,max_sensitivity,avg_sensitivity,relative_max,relative_avg\n"
            for (name, figures) in sensitivity {
                for (image, figure) in figures.enumerated() {
                    csv += "\(name),\(image),\(Self.csvNumber(figure.maximum)),\(Self.csvNumber(figure.average)),\(Self.csvNumber(figure.relativeMaximum)),\(Self.csvNumber(figure.relativeAverage))\n"
                }
            }
            files["sensitivity.csv"] = Data(csv.utf8)
        }

        if let localisation {
            blocks.append(.heading("Localisation on the shapes' object masks", level: 2))
            blocks.append(.paragraph("Pointing game: share of images whose most relevant pixel (channel-summed map, first maximum in row-major order) lies on the object. Relevance mass: share of the positive relevance on the object, mean over the images with any positive relevance. Chance level for both: the mean object area share, \(Self.f(maskShare ?? .nan))."))
            blocks.append(.table(header: ["method", "pointing game ↑", "relevance mass ↑", "images with positive relevance"], rows: localisation.map { [$0.method, Self.f($0.pointingGame), Self.f($0.relevanceMass), "\($0.definedMasses)"] }, caption: nil))
            files["localisation.csv"] = Data(("method,pointing_game,relevance_mass,images_with_positive_relevance\n" + localisation.map { "\($0.method),\(Self.csvNumber($0.pointingGame)),\(Self.csvNumber($0.relevanceMass)),\($0.definedMasses)" }.joined(separator: "\n") + "\n").utf8)
        }

        let html = HTMLReport(title: "Sanity checks and faithfulness — \(modelName)", subtitle: source, blocks: blocks)
        files["report.html"] = Data(html.render().utf8)
        let root = URL(fileURLWithPath: folder)
        for (name, data) in files.sorted(by: { $0.key < $1.key }) {
            try FileAccess.write(data, to: root.appendingPathComponent(name).path, option: "--out")
        }
        return files.keys.sorted()
    }
}
