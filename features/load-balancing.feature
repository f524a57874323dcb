@balanced
Feature: Behind a layer-4 balancer, the client's identity reaches the application intact
  A TCP (layer-4) balancer passes the TLS connection through, so each backend
  authenticates the client itself and sees its certificate. The application's
  answer must name that certificate's identity (--identity-echo says where).
  Run each case on as many connections as there are backends (--repeat N);
  this case runs with --repeat, --tags @balanced or --case lb.

  Scenario Outline: <protocol> names the presented identity in <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target accepts the connection, as "<rule>" requires

    @http2
    Examples: HTTP/2
      | protocol | case                 | rule           |
      | HTTP/2   | lb/identity-survives | RFC 8446 4.4.2 |
