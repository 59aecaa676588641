import Testing
import RectGradCore
import _RectGradTestSupport

@Test func convolutionForwardMatchesHandComputedCase() throws {
    // 1×1×3×3 input, 2×2 kernel of ones: each output is the sum of a 2×2 window.
    let x = try Tensor(shape: [1, 1, 3, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
    let w = Tensor(repeating: 1, shape: [1, 1, 2, 2])
    let y = try Convolution2D.forward(input: x, weight: w, bias: nil, geometry: .init())
    #expect(y.shape == [1, 1, 2, 2])
    #expect(y.scalars == [12, 16, 24, 28])
}
