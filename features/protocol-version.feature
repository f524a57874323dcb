@protocol-version
Feature: Only TLS 1.3 is spoken
  Under the default profile (strict-tls13, Mozilla's "modern" configuration)
  the deployment is TLS 1.3 only: a client that offers only TLS 1.2 must be
  refused, ideally with a protocol_version alert. That is a policy, not an RFC
  rule (RFC 8446 does not forbid TLS 1.2): --profile tls12-modern records it
  instead. TLS 1.0 and 1.1 are deprecated outright (RFC 8996). A client that
  cannot offer TLS 1.0 on this machine makes that case inconclusive, not passed.

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
      | protocol | case              | rule                            |
      | gRPC     | tls/version/tls12 | Mozilla Server Side TLS: modern |
      | gRPC     | tls/version/tls12-cbc-suites | Mozilla Server Side TLS: intermediate |
      | gRPC     | tls/version/tls11 | RFC 8996                        |
      | gRPC     | tls/version/tls10 | RFC 8996                        |

    @http2
    Examples: HTTP/2
      | protocol | case              | rule                            |
      | HTTP/2   | tls/version/tls12 | Mozilla Server Side TLS: modern |
      | HTTP/2   | tls/version/tls12-cbc-suites | Mozilla Server Side TLS: intermediate |
      | HTTP/2   | tls/version/tls11 | RFC 8996                        |
      | HTTP/2   | tls/version/tls10 | RFC 8996                        |

    @tls
    Examples: raw TLS
      | protocol | case              | rule                            |
      | raw TLS  | tls/version/tls12 | Mozilla Server Side TLS: modern |
      | raw TLS  | tls/version/tls12-cbc-suites | Mozilla Server Side TLS: intermediate |
      | raw TLS  | tls/version/tls11 | RFC 8996                        |
      | raw TLS  | tls/version/tls10 | RFC 8996                        |
