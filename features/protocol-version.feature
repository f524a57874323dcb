@protocol-version
Feature: Only TLS 1.3 is spoken
  The reference deployment is TLS 1.3 only: a client that cannot offer 1.3
  must get a protocol_version alert (RFC 8446 4.2.1), even when its
  certificate is perfectly valid.

  Scenario Outline: <protocol> refuses <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target refuses the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case              | rule           |
      | gRPC     | tls/version/tls12 | RFC 8446 4.2.1 |

    @http2
    Examples: HTTP/2
      | protocol | case              | rule           |
      | HTTP/2   | tls/version/tls12 | RFC 8446 4.2.1 |

    @tls
    Examples: raw TLS
      | protocol | case              | rule           |
      | raw TLS  | tls/version/tls12 | RFC 8446 4.2.1 |
