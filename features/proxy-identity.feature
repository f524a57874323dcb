@proxy-identity
Feature: A TLS-terminating proxy passes on the identity it verified, never the client's own
  Behind a proxy that terminates TLS, the backend learns who called from a
  header the proxy writes (X-Forwarded-Client-Cert, X-SSL-Client-*, Client-Cert).
  A proxy that passes the client's own copy on, appends to it, or a backend
  reachable without the proxy, lets anyone claim any identity. Each case sends
  a forged header claiming "mtlspec-forged-admin": without a certificate, with
  the valid certificate, twice, or with its name in another case. An answer
  that names the forged identity fails; one that names the certificate
  presented passes (--identity-echo says where the answer names the caller).
  They apply to a target behind a TLS-terminating proxy, and to any HTTP
  service that might read such a header; the built-in servers judge the
  connection themselves and ignore the headers, so there they pass. They run
  only when asked for: --tags @proxy-identity, --case proxy, or --identity-echo.

  Scenario Outline: <protocol> does not take the forged identity of <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target refuses the connection, as "<rule>" requires

    @http2
    Examples: HTTP/2
      | protocol | case                                                | rule     |
      | HTTP/2   | proxy/forged/xfcc/no-cert                           | RFC 9440 |
      | HTTP/2   | proxy/forged/xfcc/claims-other                      | RFC 9440 |
      | HTTP/2   | proxy/forged/xfcc/duplicated                        | RFC 9440 |
      | HTTP/2   | proxy/forged/xfcc/other-case                        | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-verify/no-cert              | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-verify/claims-other         | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-verify/duplicated           | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-cert/no-cert                | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-cert/claims-other           | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-cert/duplicated             | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-dn/no-cert                  | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-dn/claims-other             | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-dn/duplicated               | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-s-dn/no-cert                | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-s-dn/claims-other           | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-s-dn/duplicated             | RFC 9440 |
      | HTTP/2   | proxy/forged/x-client-cert/no-cert                  | RFC 9440 |
      | HTTP/2   | proxy/forged/x-client-cert/claims-other             | RFC 9440 |
      | HTTP/2   | proxy/forged/x-client-cert/duplicated               | RFC 9440 |
      | HTTP/2   | proxy/forged/client-cert/no-cert                    | RFC 9440 |
      | HTTP/2   | proxy/forged/client-cert/claims-other               | RFC 9440 |
      | HTTP/2   | proxy/forged/client-cert/duplicated                 | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-cert-lower/no-cert          | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-cert-lower/claims-other     | RFC 9440 |
      | HTTP/2   | proxy/forged/ssl-client-cert-lower/duplicated       | RFC 9440 |
      | HTTP/2   | proxy/forged/forwarded-tls-client-cert/no-cert      | RFC 9440 |
      | HTTP/2   | proxy/forged/forwarded-tls-client-cert/claims-other | RFC 9440 |
      | HTTP/2   | proxy/forged/forwarded-tls-client-cert/duplicated   | RFC 9440 |
