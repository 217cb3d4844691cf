package io.msb.http.internal;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One request to the API and its answer, with the servlet container faked (the boundary a unit test has no server
 * for): the servlet API as far as the servlet and its routes use it. {@code uri} is under {@code /v1}, the servlet's
 * path.
 */
final class Exchange {
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    final Map<String, String> responseHeaders = new HashMap<>();
    int status;
    private final String method;
    private final String uri;
    private final byte[] sent;
    private final Map<String, String> headers = new HashMap<>();

    Exchange(String method, String uri, String json) {
        this.method = method;
        this.uri = uri;
        this.sent = json.getBytes(StandardCharsets.UTF_8);
    }

    /** A request header (names are case-insensitive). */
    Exchange header(String name, String value) {
        headers.put(name.toLowerCase(Locale.ROOT), value);
        return this;
    }

    HttpServletRequest request() {
        ByteArrayInputStream in = new ByteArrayInputStream(sent);
        ServletInputStream stream = new ServletInputStream() {
            @Override
            public int read() {
                return in.read();
            }

            @Override
            public boolean isFinished() {
                return in.available() == 0;
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setReadListener(ReadListener listener) {
                throw new UnsupportedOperationException();
            }
        };
        Map<String, Object> attributes = new HashMap<>();
        return proxy(HttpServletRequest.class, (name, args) -> switch (name) {
            case "getMethod" -> method;
            case "getRequestURI" -> uri;
            case "getServletPath" -> "/v1";
            case "getPathInfo" -> uri.substring("/v1".length());
            case "getHeader" -> headers.get(((String) args[0]).toLowerCase(Locale.ROOT));
            case "getContentType" -> "application/json";
            case "getContentLengthLong" -> (long) sent.length;
            case "getRemoteAddr" -> "127.0.0.1";
            case "getInputStream" -> stream;
            case "getAttribute" -> attributes.get((String) args[0]);
            case "setAttribute" -> attributes.put((String) args[0], args[1]);
            default -> null; // query string: none
        });
    }

    HttpServletResponse response() {
        ServletOutputStream stream = new ServletOutputStream() {
            @Override
            public void write(int b) {
                body.write(b);
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setWriteListener(WriteListener listener) {
                throw new UnsupportedOperationException();
            }
        };
        return proxy(HttpServletResponse.class, (name, args) -> {
            switch (name) {
                case "setStatus" -> status = (Integer) args[0];
                case "setHeader" -> responseHeaders.put(((String) args[0]).toLowerCase(Locale.ROOT), (String) args[1]);
                case "setContentType" -> responseHeaders.put("content-type", (String) args[0]);
                default -> {
                }
            }
            return name.equals("getOutputStream") ? stream : name.equals("isCommitted") ? false : null;
        });
    }

    interface Answer {
        Object answer(String method, Object[] args);
    }

    static <T> T proxy(Class<T> type, Answer answer) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (self, m, args) -> answer.answer(m.getName(), args)));
    }
}
