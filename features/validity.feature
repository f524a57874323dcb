@validity
Feature: The client certificate is within its validity period
  RFC 5280 4.1.2.5 and 6.1.3: a certificate is valid only between notBefore
  and notAfter, and path validation checks the current time against both.

  Scenario Outline: <protocol> accepts <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target accepts the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case                       | rule             |
      | gRPC     | x509/validity/expires-soon | RFC 5280 4.1.2.5 |

    @http2
    Examples: HTTP/2
      | protocol | case                       | rule             |
      | HTTP/2   | x509/validity/expires-soon | RFC 5280 4.1.2.5 |

    @tls
    Examples: raw TLS
      | protocol | case                       | rule             |
      | raw TLS  | x509/validity/expires-soon | RFC 5280 4.1.2.5 |

  Scenario Outline: <protocol> refuses <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target refuses the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case                        | rule             |
      | gRPC     | x509/validity/expired       | RFC 5280 4.1.2.5 |
      | gRPC     | x509/validity/not-yet-valid | RFC 5280 4.1.2.5 |

    @http2
    Examples: HTTP/2
      | protocol | case                        | rule             |
      | HTTP/2   | x509/validity/expired       | RFC 5280 4.1.2.5 |
      | HTTP/2   | x509/validity/not-yet-valid | RFC 5280 4.1.2.5 |

    @tls
    Examples: raw TLS
      | protocol | case                        | rule             |
      | raw TLS  | x509/validity/expired       | RFC 5280 4.1.2.5 |
      | raw TLS  | x509/validity/not-yet-valid | RFC 5280 4.1.2.5 |
