@protocol-version
Feature: Only TLS 1.3 is spoken
  The deployment under test is TLS 1.3 only: a client that offers only an
  older version must get a protocol_version alert (RFC 8446 4.2.1), and
  TLS 1.0 and 1.1 are deprecated outright (RFC 8996). A client that cannot
  offer TLS 1.0 on this machine makes that case inconclusive, not passed.

  Scenario Outline: <protocol> accepts <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target accepts the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case              | rule           |
      | gRPC     | tls/version/tls13 | RFC 8446 4.2.1 |

    @http2
    Examples: HTTP/2
      | protocol | case              | rule           |
      | HTTP/2   | tls/version/tls13 | RFC 8446 4.2.1 |

    @tls
    Examples: raw TLS
      | protocol | case              | rule           |
      | raw TLS  | tls/version/tls13 | RFC 8446 4.2.1 |

  Scenario Outline: <protocol> refuses <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target refuses the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case              | rule           |
      | gRPC     | tls/version/tls12 | RFC 8446 4.2.1 |
      | gRPC     | tls/version/tls11 | RFC 8996 3     |
      | gRPC     | tls/version/tls10 | RFC 8996 2     |

    @http2
    Examples: HTTP/2
      | protocol | case              | rule           |
      | HTTP/2   | tls/version/tls12 | RFC 8446 4.2.1 |
      | HTTP/2   | tls/version/tls11 | RFC 8996 3     |
      | HTTP/2   | tls/version/tls10 | RFC 8996 2     |

    @tls
    Examples: raw TLS
      | protocol | case              | rule           |
      | raw TLS  | tls/version/tls12 | RFC 8446 4.2.1 |
      | raw TLS  | tls/version/tls11 | RFC 8996 3     |
      | raw TLS  | tls/version/tls10 | RFC 8996 2     |
