/// The backward of linear layers, sums and average pools under an LRP composite
/// (``BackwardRules/linearLayers``).
extension Tape {
    /// Every convolution and dense node as a ``LinearLayerSite``, in recording order.
    public var linearLayerSites: [LinearLayerSite] {
        var sites: [LinearLayerSite] = []
        for (id, node) in nodes.enumerated() {
            switch node.operation {
            case .convolution: sites.append(LinearLayerSite(nodeID: id, ordinal: sites.count, name: node.name, kind: .convolution))
            case .dense: sites.append(LinearLayerSite(nodeID: id, ordinal: sites.count, name: node.name, kind: .dense))
            default: continue
            }
        }
        return sites
    }

    /// The relevance a node hands to its inputs under `composite`, or `nil` for nodes that keep
    /// their ordinary backward (activations, max-pools, reshapes, channel affines).
    func relevanceStep(node: Node, id: Int, upstream: Tensor, composite: LinearLayerRules, report: inout BackwardReport) throws -> [(Int, Tensor)]? {
        let inputs = node.inputs
        func value(_ index: Int) -> Tensor { valueOfNode(inputs[index]) }
        switch node.operation {
        case .convolution, .dense:
            let sites = linearLayerSites
            guard let site = sites.first(where: { $0.nodeID == id }) else { return nil }
            var geometry: Convolution2DGeometry?
            if case .convolution(let g) = node.operation { geometry = g }
            let layer = LinearLayerBackwardInput(
                input: value(0), weight: value(1), bias: inputs.count > 2 ? value(2) : nil, output: valueOfNode(id),
                upstream: upstream, site: site, geometry: geometry, workers: workers
            )
            let rule = composite.rule(for: site, count: sites.count)
            let relevance: Tensor
            do { relevance = try rule.relevance(layer) } catch { throw TapeError.ruleFailed(site: site.description, reason: "\(error)") }
            guard relevance.shape == layer.input.shape else {
                throw TapeError.ruleFailed(site: site.description, reason: RuleError.gradientShapeMismatch(rule: rule.description, expected: layer.input.shape, actual: relevance.shape).description)
            }
            report.linearLayersByRule[rule.description, default: 0] += 1
            return [(inputs[0], relevance)]
        case .averagePool(let geometry, let countIncludesPadding):
            let g = try Relevance.divide(upstream, by: node.storedValue, epsilon: composite.stabilizer)
            let spread = try Pooling2D.averagePoolBackward(outputGradient: g, inputShape: value(0).shape, geometry: geometry, countIncludesPadding: countIncludesPadding)
            return [(inputs[0], try value(0).multiplying(spread, workers: workers))]
        case .adaptiveAveragePool:
            let g = try Relevance.divide(upstream, by: node.storedValue, epsilon: composite.stabilizer)
            let spread = try Pooling2D.adaptiveAveragePoolBackward(outputGradient: g, inputShape: value(0).shape)
            return [(inputs[0], try value(0).multiplying(spread, workers: workers))]
        case .add:
            // A sum under a ReLU is released (``Tape/activation(_:kind:name:)``): read it back.
            let g = try Relevance.divide(upstream, by: valueOfNode(id), epsilon: composite.stabilizer)
            return [(inputs[0], try value(0).multiplying(g, workers: workers)), (inputs[1], try value(1).multiplying(g, workers: workers))]
        default:
            return nil
        }
    }
}
