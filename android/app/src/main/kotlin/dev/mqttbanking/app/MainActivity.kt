package dev.mqttbanking.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import dev.mqttbanking.app.ui.BankApp
import dev.mqttbanking.app.ui.BankTheme

class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        val store = (application as BankApplication).store
        setContent { BankTheme { BankApp(store) } }
    }
}
