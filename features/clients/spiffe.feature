@client @spiffe
Feature: The client authorizes the server's SPIFFE ID
  SPIFFE X509-SVID 5.2, as go-spiffe's tlsconfig.AuthorizeID: a client that
  expects a SPIFFE ID (--server-spiffe-id) refuses a server presenting another.

  Scenario Outline: the client refuses <case> (<rule>)
    Given mtlspec serves the server credential "<case>"
    When the client under test connects to it
    Then the client sends no application data, as "<rule>" requires

    Examples:
      | case                   | rule                 |
      | client/spiffe/wrong-id | SPIFFE X509-SVID 5.2 |
