package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ListCommandTest {
    @Test
    void tableAlignsColumnsAndNeutralisesControlCharacters() throws Exception {
        String table = ListCommand.table(new ObjectMapper().readTree("""
            [{"name":"a","status":"running","created_at":"2026-11-25T11:30:22.119Z","spec":{"image":"builtin:busybox"},
              "backend":"qemu","backend_available":true},
             {"name":"long-name\\u001b","status":"stopped","created_at":"x","spec":{"image":{"type":"oci","reference":"debian:12"}}},
             {"name":"away","status":"running","created_at":"x","spec":{"image":"alpine"},"backend":"qemu",
              "backend_available":false}]
            """));
        assertEquals("""
            NAME         STATUS                          IMAGE             BACKEND   CREATED
            a            running                         builtin:busybox   qemu      2026-11-25 11:30:22
            long-name?   stopped                         debian:12                   x
            away         running (backend unavailable)   alpine            qemu      x
            """, table);
    }
}
