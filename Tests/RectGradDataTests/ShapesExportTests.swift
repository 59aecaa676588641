import Foundation
import Testing
import RectGradData
import RectGradImage

@Test func exportWritesTheDatasetsImagesMasksAndManifest() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-export-\(UInt64.random(in: 0...UInt64.max))")
    defer { try? FileManager.default.removeItem(at: folder) }
    let count = 12
    let manifest = try ShapesExport().write(count: count, to: folder)
    let dataset = try ShapesDataset(split: .test, count: count, seed: ShippedModel.recipe.seed)
    let lines = try String(contentsOf: manifest, encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(lines.first == "path,label")
    #expect(lines.count == count + 1)
    for index in 0..<count {
        let name = ShapesExport.stem(index: index, count: count) + ".png"
        #expect(lines[index + 1] == "images/\(name),\(dataset.labels[index])")
        let image = try ImageDecoding.decode(contentsOf: folder.appendingPathComponent("images/\(name)"))
        #expect(image.pixels == (try dataset.pixels(at: index)))
        let mask = try ImageDecoding.decode(contentsOf: folder.appendingPathComponent("masks/\(name)"))
        let expected = try dataset.mask(at: index)
        #expect((0..<(32 * 32)).allSatisfy { mask.pixels[3 * $0] == (expected[$0] ? 255 : 0) })
    }
    #expect(ShapesExport.stem(index: 7, count: 1500) == "0007-\(ShapeClass.allCases[7].name)")
    #expect(throws: DataError.self) { try ShapesExport().write(count: 0, to: folder) }
}
