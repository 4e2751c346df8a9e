import ArgumentParser

/// A one-line error for the user; ArgumentParser prints it as `Error: ...` and exits non-zero.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
