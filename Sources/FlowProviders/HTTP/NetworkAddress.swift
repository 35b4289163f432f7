import Foundation

/// An IP address a host name resolved to, and whether it is on the public internet.
struct NetworkAddress: Sendable, Hashable {
  /// 4 bytes (IPv4) or 16 (IPv6), network order.
  var bytes: [UInt8]

  /// The address as text (`203.0.113.7`, `2001:db8::1`).
  var text: String {
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    let family = bytes.count == 4 ? AF_INET : AF_INET6
    let written = bytes.withUnsafeBytes { raw in
      inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count))
    }
    guard written != nil else { return "?" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Whether the address is neither loopback, private, link-local, unique-local, carrier-grade
  /// NAT, multicast nor unspecified (IPv4-mapped IPv6 addresses are judged as IPv4).
  var isPublic: Bool {
    if bytes.count == 16 {
      if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
        return NetworkAddress(bytes: Array(bytes[12..<16])).isPublic
      }
      if bytes.allSatisfy({ $0 == 0 }) { return false }  // ::
      if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return false }  // ::1
      if bytes[0] & 0xFE == 0xFC { return false }  // fc00::/7
      if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return false }  // fe80::/10
      if bytes[0] == 0xFF { return false }  // multicast
      return true
    }
    guard bytes.count == 4 else { return false }
    let (a, b) = (bytes[0], bytes[1])
    switch a {
    case 0, 10, 127: return false
    case 100 where b & 0xC0 == 64: return false  // 100.64.0.0/10
    case 169 where b == 254: return false
    case 172 where b & 0xF0 == 16: return false
    case 192 where b == 168: return false
    case 224...255: return false
    default: return true
    }
  }

  /// Every address `host` (a name or an IP literal) resolves to.
  static func resolve(_ host: String) -> [NetworkAddress] {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
    defer { freeaddrinfo(list) }
    var addresses: [NetworkAddress] = []
    var cursor: UnsafeMutablePointer<addrinfo>? = first
    while let entry = cursor {
      if let socketAddress = entry.pointee.ai_addr {
        switch entry.pointee.ai_family {
        case AF_INET:
          socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
            var address = pointer.pointee.sin_addr
            addresses.append(NetworkAddress(bytes: withUnsafeBytes(of: &address) { Array($0) }))
          }
        case AF_INET6:
          socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
            var address = pointer.pointee.sin6_addr
            addresses.append(NetworkAddress(bytes: withUnsafeBytes(of: &address) { Array($0) }))
          }
        default:
          break
        }
      }
      cursor = entry.pointee.ai_next
    }
    var seen = Set<NetworkAddress>()
    return addresses.filter { seen.insert($0).inserted }
  }
}
