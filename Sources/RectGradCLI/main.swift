import ArgumentParser
import RectifiedGradient

/// The `rectgrad` command-line tool.
@main
struct RectGrad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rectgrad",
        abstract: "Explain convolutional networks with Rectified Gradient and other attribution methods."
    )
}
