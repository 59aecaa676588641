// The umbrella module: `import RectifiedGradient` brings in every public module of the package.
@_exported import RectGradAttribution
@_exported import RectGradCore
@_exported import RectGradData
@_exported import RectGradExperiments
@_exported import RectGradFormats
@_exported import RectGradImage
@_exported import RectGradLayers
@_exported import RectGradZoo
@_exported import RectGradReport
@_exported import RectGradONNX
