extension SessionDescription {
    /// Writes the description as SDP text, lines in RFC 8866 §5 order (`v o s i u e p c b t r z k a`, then per
    /// media section `m i c b k a`), attributes in their stored order, each line ended with ``lineEnding``.
    ///
    /// For a description returned by ``parse(_:)`` this reproduces the parsed text byte for byte (see there).
    public func serialize() -> String {
        var out = ""
        var lineCount = attributes.count
        for section in media { lineCount += section.attributes.count }
        out.reserveCapacity(256 + media.count * 64 + lineCount * 64)
        let ending = lineEnding.rawValue
        var first = true
        func begin(_ type: String) {
            if !first { out += ending }
            first = false
            out += type
        }
        begin("v=0")
        begin("o=")
        origin.write(to: &out)
        begin("s=")
        out += sessionName
        if let information {
            begin("i=")
            out += information
        }
        if let uri {
            begin("u=")
            out += uri
        }
        for email in emails {
            begin("e=")
            out += email
        }
        for phone in phones {
            begin("p=")
            out += phone
        }
        if let connection {
            begin("c=")
            connection.write(to: &out)
        }
        for bandwidth in bandwidths {
            begin("b=")
            bandwidth.write(to: &out)
        }
        for timing in timings {
            begin("t=")
            timing.write(to: &out)
            for repeatTime in timing.repeats {
                begin("r=")
                out += repeatTime
            }
        }
        if let timeZones {
            begin("z=")
            out += timeZones
        }
        if let encryptionKey {
            begin("k=")
            out += encryptionKey
        }
        for line in attributes.lines {
            begin("a=")
            line.write(to: &out)
        }
        for section in media {
            begin("m=")
            section.writeMediaLine(to: &out)
            if let title = section.title {
                begin("i=")
                out += title
            }
            for connection in section.connections {
                begin("c=")
                connection.write(to: &out)
            }
            for bandwidth in section.bandwidths {
                begin("b=")
                bandwidth.write(to: &out)
            }
            if let key = section.encryptionKey {
                begin("k=")
                out += key
            }
            for line in section.attributes.lines {
                begin("a=")
                line.write(to: &out)
            }
        }
        if endsWithLineEnding { out += ending }
        return out
    }
}
