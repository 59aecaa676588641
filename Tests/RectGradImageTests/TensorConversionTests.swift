import Foundation
import RectGradCore
import RectGradImage
import Testing

@Suite struct TensorConversionTests {
    let image: RGBImage

    init() throws {
        image = try RGBImage(width: 2, height: 1, pixels: [0, 51, 255, 40, 50, 60])
    }

    @Test func minusOneToOne() {
        let tensor = image.tensor(scaling: .minusOneToOne)
        #expect(tensor.shape == [1, 3, 1, 2])
        // Planes R, G, B; p / 127.5 − 1.
        let expected: [Float] = [0, 40, 51, 50, 255, 60].map { Float($0) / 127.5 - 1 }
        #expect(tensor.scalars == expected)
        #expect(tensor.scalars[0] == -1 && tensor.scalars[4] == 1)
    }

    @Test func zeroToOne() {
        let rgbTensor = image.tensor(scaling: .zeroToOne)
        #expect(rgbTensor.scalars == [0, 40, 51, 50, 255, 60].map { Float($0) / 255 })
    }

    @Test func scalingsDescribeThemselves() throws {
        #expect(PixelScaling.minusOneToOne.description == "pixel / 127.5 − 1")
        #expect(PixelScaling.zeroToOne.description == "pixel / 255")
        #expect(PixelScaling.imageNet.description == "(pixel / 255 − mean) / std, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)")
    }

    @Test func imageNetStandardization() throws {
        let tensor = image.tensor(scaling: .imageNet)
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        let planes: [[UInt8]] = [[0, 40], [51, 50], [255, 60]]
        let expected = (0..<3).flatMap { c in planes[c].map { (Float($0) / 255 - mean[c]) / std[c] } }
        #expect(tensor.scalars == expected)
        let custom = try PixelScaling.standardized(mean: [0.5, 0.5, 0.5], standardDeviation: [0.5, 0.5, 0.5])
        #expect(image.tensor(scaling: custom).scalars[4] == (255 / 255 - 0.5) / 0.5)
        #expect(throws: ImageError.self) { try PixelScaling.standardized(mean: [0, 0], standardDeviation: [1, 1]) }
        #expect(throws: ImageError.self) { try PixelScaling.standardized(mean: [0, 0, 0], standardDeviation: [1, 0, 1]) }
    }

    @Test(arguments: [PixelScaling.minusOneToOne, .zeroToOne, .imageNet])
    func tensorRoundTrip(scaling: PixelScaling) throws {
        let random = try RGBImage(width: 5, height: 4, pixels: seededBytes(count: 60, seed: 3))
        let back = try RGBImage(tensor: random.tensor(scaling: scaling), scaling: scaling)
        #expect(back == random)
    }

    @Test func imageFromTensorValidatesShape() {
        #expect(throws: TensorError.self) { try RGBImage(tensor: Tensor.zeros([2, 3, 2, 2]), scaling: .minusOneToOne) }
        #expect(throws: TensorError.self) { try RGBImage(tensor: Tensor.zeros([1, 1, 2, 2]), scaling: .minusOneToOne) }
        // Out-of-range values clamp.
        let image = try? RGBImage(tensor: Tensor(repeating: 5, shape: [3, 1, 1]), scaling: .minusOneToOne)
        #expect(image?.pixels == [255, 255, 255])
    }
}
