import RectGradCore
import _RectGradTestSupport

/// ``TinyConvNet`` forward and backward written out by hand with the naive kernels and rules:
///
/// ```
/// z1 = conv(x)  a1 = act(z1)  p = maxpool(a1)  z2 = conv(p)  a2 = act(z2)
/// z3 = dense(flatten(a2))  a3 = act(z3)  logits = dense(a3)
/// ```
struct NaiveNetwork {
    var net: TinyConvNet

    struct Forward {
        var z: [Tensor]
        var a: [Tensor]
        var pooled: Tensor
        var winners: [Int]
        var logits: Tensor
    }

    func forward(_ x: Tensor) -> Forward {
        let g = TinyConvNet.convolutionGeometry
        let kinds = net.activationKinds
        let z1 = NaiveKernels.conv2d(x, net.conv1Weight, net.conv1Bias, g)
        let a1 = kinds[0].forward(z1)
        let (pooled, winners) = NaiveKernels.maxPool(a1, TinyConvNet.poolGeometry)
        let z2 = NaiveKernels.conv2d(pooled, net.conv2Weight, net.conv2Bias, g)
        let a2 = kinds[1].forward(z2)
        let flat = NaiveKernels.make([x.shape[0], a2.count / x.shape[0]], a2.scalars)
        let z3 = NaiveKernels.dense(flat, net.dense1Weight, net.dense1Bias)
        let a3 = kinds[2].forward(z3)
        let logits = NaiveKernels.dense(a3, net.dense2Weight, net.dense2Bias)
        return Forward(z: [z1, z2, z3], a: [a1, a2, a3], pooled: pooled, winners: winners, logits: logits)
    }

    /// The gradient at the input under `rule` at every activation, optionally with the border
    /// rule at both (padded) convolutions and PRR at the max-pool.
    func inputGradient(_ f: Forward, seed: Tensor, rule: NaiveRule, masksBorder: Bool, proportional: Bool, reference: Forward? = nil) -> Tensor {
        let kinds = net.activationKinds
        func apply(_ layer: Int, _ upstream: Tensor) -> Tensor {
            rule.apply(kind: kinds[layer], z: f.z[layer], a: f.a[layer], r: upstream, reference: reference.map { ($0.z[layer], $0.a[layer]) })
        }
        let g = TinyConvNet.convolutionGeometry
        let dA3 = NaiveKernels.denseBackwardInput(seed, net.dense2Weight)
        let dZ3 = apply(2, dA3)
        let dFlat = NaiveKernels.denseBackwardInput(dZ3, net.dense1Weight)
        let dA2 = NaiveKernels.make(f.a[1].shape, dFlat.scalars)
        var dZ2 = apply(1, dA2)
        if masksBorder { dZ2 = NaiveKernels.zeroOuterFrame(dZ2) }
        let dPooled = NaiveKernels.conv2dBackwardInput(dZ2, net.conv2Weight, inputShape: f.pooled.shape, g)
        let dA1 = proportional
            ? NaiveKernels.proportionalRedistribution(dPooled, input: f.a[0], TinyConvNet.poolGeometry)
            : NaiveKernels.maxPoolBackward(dPooled, winners: f.winners, inputShape: f.a[0].shape)
        var dZ1 = apply(0, dA1)
        if masksBorder { dZ1 = NaiveKernels.zeroOuterFrame(dZ1) }
        return NaiveKernels.conv2dBackwardInput(dZ1, net.conv1Weight, inputShape: [f.z[0].shape[0], 2, 8, 8], g)
    }
}
